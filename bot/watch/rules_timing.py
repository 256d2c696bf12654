"""The timing keys of a rule: ``settle``, ``remind_after``, ``remind_every`` and ``hours``.

Durations are written ``<number><s|m|h|d>`` (``90s``, ``10m``, ``4h``, ``1d``). ``hours`` is
``{days: mon-fri, from: "08:00", to: "18:00", timezone: Europe/London}``: an alert outside
them waits and is delivered when they next begin (``Hours.next_open``). Time is always a
parameter: nothing here reads a clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.watch.rules_validation import INVALID, RuleKey, describe, suggest

#: ``90s``, ``10m``, ``4h``, ``1d``.
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The days of the week as written, Monday first (``datetime.weekday()`` numbers them so).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: ``08:00``, ``18:30``.
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
#: The keys of ``hours``.
HOURS_KEYS = ("days", "from", "to", "timezone")


def parse_duration(value: object) -> timedelta | None:
    """``4h`` as a timedelta; None when it is not written ``<number><s|m|h|d>`` (or is 0)."""
    match = DURATION.match(str(value)) if isinstance(value, (str, int)) else None
    if match is None or isinstance(value, bool):
        return None
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    return timedelta(seconds=seconds) if seconds > 0 else None


def duration_problem(value: object) -> str | None:
    """Why ``value`` is not a duration (None when it is one)."""
    if parse_duration(value) is not None:
        return None
    return f"expected a duration such as 90s, 10m, 4h or 1d, got {describe(value)}"


def parse_days(value: object) -> frozenset[int] | None:
    """``mon-fri``, ``mon,wed,fri``, ``sat``, a list of those: weekday numbers (Monday 0)."""
    items = value if isinstance(value, list) else str(value).split(",")
    days: set[int] = set()
    for item in items:
        text = str(item).strip().lower()
        first, dash, last = text.partition("-")
        if first not in DAYS or (dash and last not in DAYS):
            return None
        start, end = DAYS.index(first), DAYS.index(last) if dash else DAYS.index(first)
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        days.update(span)
    return frozenset(days) or None


def parse_clock(value: object) -> time | None:
    match = CLOCK.match(str(value).strip()) if isinstance(value, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else None


def parse_zone(value: object) -> ZoneInfo | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_problem(value: object) -> str | None:
    if parse_zone(value) is not None:
        return None
    known = sorted(available_timezones())
    hint = suggest(str(value), known, "time zones") if isinstance(value, str) else ""
    return f"unknown time zone {describe(value)} (an IANA name such as Europe/London){hint}"


@dataclass(frozen=True)
class Hours:
    """When a rule's alerts may be posted: on ``days`` (weekday numbers, Monday 0) from
    ``start`` to ``end`` (local time in ``zone``; ``end`` before ``start`` runs past
    midnight)."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    @property
    def text(self) -> str:
        """How it is written, for the outbox row (``from_text`` reads it back)."""
        days = ",".join(DAYS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"

    @classmethod
    def from_text(cls, text: str) -> Hours | None:
        try:
            days, span, zone = text.split(" ")
            start, end = span.split("-")
        except ValueError:
            return None
        parsed = (parse_days(days), parse_clock(start), parse_clock(end), parse_zone(zone))
        if any(part is None for part in parsed):
            return None
        return cls(*parsed)  # type: ignore[arg-type]

    def is_open(self, moment: datetime) -> bool:
        """True when ``moment`` is inside the hours."""
        local = moment.astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= now < self.end
        # Past midnight: the evening belongs to the day it starts on, the morning to the day before.
        if now >= self.start:
            return local.weekday() in self.days
        return now < self.end and (local.weekday() - 1) % 7 in self.days

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` when the hours are open, else when they next begin."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            if day.weekday() not in self.days:
                continue
            begins = datetime.combine(day, self.start, tzinfo=self.zone)
            if begins > local:
                return begins.astimezone(moment.tzinfo)
        return moment  # no day at all: never happens for valid hours (days is not empty)


def hours_problems(value: object) -> list[tuple[str, str]]:
    """(field, problem) for each thing wrong with an ``hours`` mapping."""
    if not isinstance(value, Mapping):
        return [
            (
                "hours",
                'expected {days: mon-fri, from: "08:00", to: "18:00", timezone: Europe/London},'
                f" got {describe(value)}",
            )
        ]
    problems = [
        (f"hours.{key}", f'unknown key "{key}"{suggest(str(key), HOURS_KEYS, "hours has")}')
        for key in value
        if key not in HOURS_KEYS
    ]
    for key in ("from", "to"):
        if key not in value:
            problems.append((f"hours.{key}", 'missing; write it as "08:00" (quoted)'))
        elif parse_clock(value[key]) is None:
            got = describe(value[key])
            problems.append(
                (f"hours.{key}", f'expected a time such as "08:00" (quoted), got {got}')
            )
    if "days" in value and parse_days(value["days"]) is None:
        problems.append(
            (
                "hours.days",
                f"expected days such as mon-fri or mon,wed,fri, got {describe(value['days'])}",
            )
        )
    if "timezone" in value and (wrong := zone_problem(value["timezone"])):
        problems.append(("hours.timezone", wrong))
    return problems


def read_hours(value: Mapping[str, Any], default_zone: str) -> Hours:
    """Hours from a mapping ``hours_problems`` found nothing wrong with."""
    return Hours(
        parse_days(value.get("days", "mon-fri")) or frozenset(range(5)),
        parse_clock(value["from"]) or time(0),
        parse_clock(value["to"]) or time(0),
        parse_zone(value.get("timezone", default_zone)) or ZoneInfo("UTC"),
    )


# --- The rule keys (rows of ``bot.watch.rules_keys.RULE_KEYS``) ----------------------------------

#: JSON Schema of a duration.
DURATION_SCHEMA: dict[str, Any] = {"type": "string", "pattern": DURATION.pattern}


def _duration_reader(name: str) -> Any:
    def read(reader: Any, value: Any, read: Mapping[str, Any]) -> Any:
        wrong = duration_problem(value)
        if wrong:
            reader.problem(name, wrong)
            return INVALID
        if name == "remind_every" and read.get("remind_after") is None:
            reader.problem(name, "needs remind_after (when the first reminder is due)")
            return INVALID
        return parse_duration(value)

    return read


def _read_hours(reader: Any, value: Any, _read: Mapping[str, Any]) -> Any:
    problems = hours_problems(value)
    for where, wrong in problems:
        reader.problem(where, wrong)
    return INVALID if problems else read_hours(value, DEFAULT_ZONE)


#: The zone of ``hours`` without ``timezone:``.
DEFAULT_ZONE = "UTC"

TIMING_KEYS: tuple[RuleKey, ...] = (
    RuleKey(
        "settle",
        "post only if the change is still there this long after (90s, 10m, 4h, 1d)",
        DURATION_SCHEMA,
        _duration_reader("settle"),
        "settle",
    ),
    RuleKey(
        "remind_after",
        "remind in the card's thread when the hold is still open this long after the alert",
        DURATION_SCHEMA,
        _duration_reader("remind_after"),
        "remind_after",
    ),
    RuleKey(
        "remind_every",
        "then remind again this often while it stays (default: remind_after)",
        DURATION_SCHEMA,
        _duration_reader("remind_every"),
        "remind_every",
    ),
    RuleKey(
        "hours",
        'when to post: {days: mon-fri, from: "08:00", to: "18:00", timezone: Europe/London};'
        " days default mon-fri, timezone default UTC",
        {
            "type": "object",
            "required": ["from", "to"],
            "properties": {
                "days": {"type": ["string", "array"]},
                "from": {"type": "string", "pattern": CLOCK.pattern},
                "to": {"type": "string", "pattern": CLOCK.pattern},
                "timezone": {"type": "string"},
            },
            "additionalProperties": False,
        },
        _read_hours,
        "hours",
    ),
)
