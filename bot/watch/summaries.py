"""Summaries: a digest of the holds open right now, posted at set times (``summaries:`` in a
rules file), or at once by ``orderbot summary NAME``::

    summaries:
      - name: morning-credit
        channel: "#credit-alerts"
        at: "09:00"                 # local time; one or a list
        timezone: Europe/London     # default: the zone of INGRAM_COUNTRY
        days: mon-fri               # default mon-fri
        match: {holdreasoncode: [C3, C4, C5, C8, CC, CH, CL, PC, PD]}

``read_summaries`` checks each one, every problem one line naming the file, the summary and
the field. ``Summary.latest_slot`` is the latest time it was due at or before ``now`` (time
is a parameter); the database remembers which slot ran last (``bot.store.summaries``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.watch.changes import RULE_FIELDS
from bot.watch.rules_timing import DAYS, parse_clock, parse_days, parse_zone, zone_problem
from bot.watch.rules_validation import (
    check_channel,
    check_match_value,
    describe,
    is_scalar,
    normalize_value,
    suggest,
)

#: The keys of a summary.
SUMMARY_KEYS = ("name", "channel", "at", "timezone", "days", "match")
#: The fields a summary may match: those of a rule that the snapshot keeps of a shipment.
SUMMARY_FIELDS = tuple(
    f for f in RULE_FIELDS if f not in ("event", "customernumber", "country") and "_" not in f
)

#: JSON Schema of one summary (``orderbot rules schema``).
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "channel", "at"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "channel": {"type": "string"},
        "at": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "timezone": {"type": "string"},
        "days": {"type": ["string", "array"]},
        "match": {"type": "object", "properties": {k: {} for k in SUMMARY_FIELDS}},
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Summary:
    """One summary: where, at which local times, on which days, of which holds. ``zone``
    None: the zone of INGRAM_COUNTRY (``zone_for``)."""

    name: str
    channel: str
    at: tuple[time, ...]
    days: frozenset[int]
    zone: ZoneInfo | None = None
    match: dict[str, frozenset[str]] = field(default_factory=dict, hash=False)

    def matches(self, values: Mapping[str, str]) -> bool:
        return all(values.get(key, "") in allowed for key, allowed in self.match.items())

    def latest_slot(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """The latest time at or before ``now`` the summary was due (within a week)."""
        local = now.astimezone(zone)
        for back in range(8):
            day = (local - timedelta(days=back)).date()
            if day.weekday() not in self.days:
                continue
            slots = [datetime.combine(day, t, tzinfo=zone) for t in self.at]
            passed = [s for s in slots if s <= local]
            if passed:
                return max(passed).astimezone(now.tzinfo)
        return None


def read_summaries(shown: str, items: Any) -> tuple[list[Summary], list[str]]:
    """The summaries of one file's ``summaries:`` list, and every problem, one a line."""
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], [f"{shown}: summaries: expected a list of summaries, got {describe(items)}"]
    found: list[Summary] = []
    problems: list[str] = []
    for index, raw in enumerate(items, start=1):
        summary, wrong = _read_one(shown, index, raw)
        problems += wrong
        if summary is not None:
            found.append(summary)
    return found, problems


def _read_one(shown: str, index: int, raw: Any) -> tuple[Summary | None, list[str]]:
    label = f"summary #{index}"
    if isinstance(raw, Mapping) and is_scalar(raw.get("name")) and str(raw["name"]).strip():
        label = f'summary "{str(raw["name"]).strip()}"'
    problems: list[str] = []

    def problem(where: str, message: str) -> None:
        problems.append(f"{shown}: {label}: {where + ': ' if where else ''}{message}")

    if not isinstance(raw, Mapping):
        problem("", f"expected a mapping with name, channel and at, got {describe(raw)}")
        return None, problems
    for key in raw:
        if str(key) not in SUMMARY_KEYS:
            problem("", f'unknown key "{key}"{suggest(str(key), SUMMARY_KEYS, "a summary has")}')
    for key in ("name", "channel", "at"):
        if key not in raw:
            problem(key, "missing")
    if "channel" in raw and (wrong := check_channel(raw["channel"])):
        problem("channel", wrong)
    at = raw.get("at", [])
    times = [parse_clock(t) for t in (at if isinstance(at, list) else [at])]
    if "at" in raw and (not times or any(t is None for t in times)):
        problem("at", f'expected a time such as "09:00" (quoted), or a list, got {describe(at)}')
    days = parse_days(raw.get("days", "mon-fri"))
    if days is None:
        problem("days", f"expected days such as mon-fri, got {describe(raw.get('days'))}")
    zone = None
    if "timezone" in raw:
        zone = parse_zone(raw["timezone"])
        if zone is None:
            problem("timezone", zone_problem(raw["timezone"]) or "unknown time zone")
    match: dict[str, frozenset[str]] = {}
    given = raw.get("match")
    for key, values in given.items() if isinstance(given, Mapping) else ():
        if key not in SUMMARY_FIELDS:
            hint = suggest(str(key), SUMMARY_FIELDS, "fields")
            problem(f"match.{key}", f'unknown field "{key}"{hint}')
            continue
        items = values if isinstance(values, list) else [values]
        texts = [normalize_value(key, v) for v in items]
        for text in texts:
            if wrong := check_match_value(key, text):
                problem(f"match.{key}", wrong)
        match[key] = frozenset(texts)
    if "match" in raw and not isinstance(raw["match"], Mapping):
        problem("match", f"expected field: value pairs, got {describe(raw['match'])}")
    if problems:
        return None, problems
    return (
        Summary(
            str(raw["name"]).strip(),
            str(raw["channel"]).strip(),
            tuple(t for t in times if t is not None),
            days or frozenset(range(5)),
            zone,
            match,
        ),
        [],
    )


def days_text(days: frozenset[int]) -> str:
    return ",".join(DAYS[d] for d in sorted(days))
