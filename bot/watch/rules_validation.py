"""The checks of one rule as written, each problem one line naming the file, the rule and
the field, with the nearest valid value where there is one (``RuleReader``), and of a
message template (``template_problems``)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from bot.ingram.codes import HOLD_REASONS, ORDER_STATUSES
from bot.watch.changes import EVENT_KINDS, RULE_FIELDS
from bot.watch.rules import Rule

#: The keys a rule may have.
RULE_KEYS: tuple[str, ...] = ("name", "on", "match", "channel", "message")

_HOLD_FIELDS = frozenset({"holdreasoncode", "previous_holdreasoncode"})
_STATUS_FIELDS = frozenset({"statuscode", "previous_statuscode"})
_UPPERCASE_FIELDS = _HOLD_FIELDS | _STATUS_FIELDS | {"ordernumber", "subordernumber"}

_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9_-]{0,79}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


def nearest(value: str, candidates: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The candidate most like ``value``, or None if none is at least ``cutoff`` alike.

    Likeness is difflib's ratio (case-insensitive), with a small bonus for a common prefix,
    so "C9" suggests "C3" rather than "AC"; ties go to the earliest candidate.
    """
    best, best_score = None, 0.0
    wanted = value.lower()
    for candidate in candidates:
        if not candidate:
            continue
        other = candidate.lower()
        ratio = SequenceMatcher(None, wanted, other).ratio()
        if ratio < cutoff:
            continue
        prefix = next(
            (i for i, (a, b) in enumerate(zip(wanted, other, strict=False)) if a != b),
            min(len(wanted), len(other)),
        )
        score = ratio + 0.1 * prefix
        if score > best_score:
            best, best_score = candidate, score
    return best


def suggest(value: str, candidates: Iterable[str], what: str) -> str:
    """What to add to a problem about ``value``: the nearest candidate, or all of them."""
    options = [c for c in candidates if c]
    guess = nearest(value, options)
    if guess is not None:
        return f' (did you mean "{guess}"?)'
    return f" ({what}: {', '.join(options)})"


def describe(value: object) -> str:
    """A YAML value as a problem line names it: "a mapping", "nothing", "the boolean true"."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return f'"{value}"'


def is_scalar(value: object) -> bool:
    """True for a single value (text, a boolean), False for nothing, a mapping or a list."""
    return value is not None and not isinstance(value, Mapping | list)


def template_problems(template: str) -> list[str]:
    """What is wrong with a message template (``[]`` when it is fine).

    Placeholders must be plain field names of ``RULE_FIELDS``: no attribute or index access,
    no conversion, no format spec, so a template can reach nothing but those values.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [f"invalid template: {exc} (write {{{{ or }}}} for a literal brace)"]
    problems: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        shown += "}"
        if name == "" or name.isdigit():
            problems.append(
                f"placeholder {shown} names no field; write a field name such as {{ordernumber}}"
            )
        elif "." in name or "[" in name:
            base = re.split(r"[.\[]", name, maxsplit=1)[0]
            instead = f"{{{base}}}" if base in RULE_FIELDS else "{ordernumber}"
            problems.append(
                f"placeholder {shown}: attribute and index access are not allowed; use a plain"
                f" field name such as {instead}"
            )
        elif name not in RULE_FIELDS:
            problems.append(
                f'placeholder {shown}: unknown field "{name}"{suggest(name, RULE_FIELDS, "fields")}'
            )
        if conversion:
            problems.append(f"placeholder {shown}: conversions (!r, !s, !a) are not allowed")
        if spec:
            problems.append(f"placeholder {shown}: format specs (after :) are not allowed")
    return problems


def _check_channel(value: object) -> str | None:
    """None when ``value`` is a usable channel, else what is wrong with it."""
    if value is None:
        return (
            'missing; quote the channel name, as in channel: "#credit-alerts"'
            " (an unquoted # starts a YAML comment), or give a channel ID such as C0123456789"
        )
    if not isinstance(value, str):
        return f"expected a channel name or ID, got {describe(value)}"
    text = value.strip()
    if _CHANNEL_NAME.match(text) or _CHANNEL_ID.match(text):
        return None
    if text.startswith("#"):
        fixed = "#" + re.sub(r"[^a-z0-9_-]+", "-", text[1:].lower()).strip("-")
        return (
            f'"{text}" is not a Slack channel name: names are lowercase letters, digits,'
            f' hyphens and underscores, at most 80 (did you mean "{fixed}"?)'
        )
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,79}", text):
        return (
            f'"{text}" is neither a channel name nor an ID; a name starts with #, quoted:'
            f' channel: "#{text}"'
        )
    return (
        f'"{text}" is neither a channel name ("#credit-alerts", quoted) nor a channel ID'
        " (C0123456789 or G0123456789)"
    )


def _check_match_value(key: str, value: str) -> str | None:
    """None when ``value`` is one ``key`` can have, else what is wrong."""
    if key in _HOLD_FIELDS and value not in HOLD_REASONS:
        return f'unknown hold reason code "{value}"{suggest(value, HOLD_REASONS, "codes")}'
    if key in _STATUS_FIELDS and value not in ORDER_STATUSES:
        return f'unknown order status code "{value}"{suggest(value, ORDER_STATUSES, "codes")}'
    if key == "event" and value not in EVENT_KINDS:
        return f'unknown event "{value}"{suggest(value, EVENT_KINDS, "events")}'
    return None


class RuleReader:
    """Validates one rule mapping, collecting problems with the file and rule named."""

    def __init__(self, shown: str, index: int, raw: Any, source: Path) -> None:
        self.shown = shown
        self.raw = raw
        self.source = source
        self.label = f"rule #{index}"
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        prefix = f"{self.shown}: {self.label}: "
        self.problems.append(prefix + (f"{where}: {message}" if where else message))

    def read(self) -> Rule | None:
        raw = self.raw
        if not isinstance(raw, Mapping):
            self.problem("", f"expected a mapping with name, on and channel, got {describe(raw)}")
            return None
        values: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in raw.items():
            key_name = "on" if key is True else str(key)
            if key_name not in RULE_KEYS:
                unknown.append(key_name)
            elif key_name in values:
                self.problem(key_name, 'given twice (write the key "on" only once)')
            else:
                values[key_name] = value

        name = self._name(values)
        if name is not None:
            self.label = f'rule "{name}"'
        for key_name in unknown:
            self.problem(
                "", f'unknown key "{key_name}"{suggest(key_name, RULE_KEYS, "a rule has")}'
            )
        events = self._events(values)
        match = self._match(values, events)
        channel = self._channel(values)
        message = self._message(values)
        if self.problems or name is None or events is None or match is None or channel is None:
            return None
        return Rule(name, events, match, channel, message, self.source)

    def _name(self, values: dict[str, Any]) -> str | None:
        if "name" not in values:
            self.problem("name", "missing; every rule needs a unique name")
            return None
        value = values["name"]
        if not is_scalar(value) or not str(value).strip():
            self.problem("name", f"expected a name, got {describe(value)}")
            return None
        return str(value).strip()

    def _events(self, values: dict[str, Any]) -> frozenset[str] | None:
        if "on" not in values:
            self.problem(
                "on", f"missing; name the events that trigger the rule: {', '.join(EVENT_KINDS)}"
            )
            return None
        value = values["on"]
        items = value if isinstance(value, list) else [value]
        if not items:
            self.problem("on", f"empty list; name at least one of {', '.join(EVENT_KINDS)}")
            return None
        events: set[str] = set()
        ok = True
        for item in items:
            if not isinstance(item, str) or not item.strip():
                self.problem("on", f"expected an event or a list of events, got {describe(item)}")
                ok = False
                continue
            kind = item.strip()
            if kind not in EVENT_KINDS:
                self.problem("on", f'unknown event "{kind}"{suggest(kind, EVENT_KINDS, "events")}')
                ok = False
                continue
            events.add(kind)
        return frozenset(events) if ok else None

    def _match(
        self, values: dict[str, Any], events: frozenset[str] | None
    ) -> dict[str, frozenset[str]] | None:
        if "match" not in values:
            return {}
        value = values["match"]
        if not isinstance(value, Mapping) or not value:
            self.problem(
                "match",
                f"expected field: value pairs such as holdreasoncode: [C3, C4], got"
                f" {describe(value)} (remove match: to match every event)",
            )
            return None
        match: dict[str, frozenset[str]] = {}
        ok = True
        for raw_key, raw_values in value.items():
            key = str(raw_key)
            where = f"match.{key}"
            if key not in RULE_FIELDS:
                self.problem(where, f'unknown field "{key}"{suggest(key, RULE_FIELDS, "fields")}')
                ok = False
                continue
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            if not items:
                self.problem(where, "empty list, which matches nothing; give at least one value")
                ok = False
                continue
            accepted: set[str] = set()
            for item in items:
                if not is_scalar(item):
                    hint = ' (write "" to match a blank code)' if item is None else ""
                    self.problem(
                        where, f"expected a value or a list of values, got {describe(item)}{hint}"
                    )
                    ok = False
                    continue
                text = str(item).strip()
                if isinstance(item, bool):
                    text = text.lower()
                if key in _UPPERCASE_FIELDS:
                    text = text.upper()
                wrong = _check_match_value(key, text)
                if wrong:
                    self.problem(where, wrong)
                    ok = False
                    continue
                accepted.add(text)
            if key == "event" and events is not None and accepted and not accepted & events:
                self.problem(
                    where,
                    f"none of {', '.join(sorted(accepted))} is among the rule's on: events"
                    f" ({', '.join(sorted(events))}), so the rule could never match",
                )
                ok = False
            match[key] = frozenset(accepted)
        return match if ok else None

    def _channel(self, values: dict[str, Any]) -> str | None:
        if "channel" not in values:
            self.problem(
                "channel",
                'missing; say where to post, as in channel: "#credit-alerts" (quoted) or a'
                " channel ID",
            )
            return None
        wrong = _check_channel(values["channel"])
        if wrong:
            self.problem("channel", wrong)
            return None
        return str(values["channel"]).strip()

    def _message(self, values: dict[str, Any]) -> str | None:
        if "message" not in values:
            return None
        value = values["message"]
        if not isinstance(value, str) or not value.strip():
            self.problem(
                "message",
                f'expected a template such as "Credit hold on {{subordernumber}}", got'
                f" {describe(value)} (remove message: for the default)",
            )
            return None
        for wrong in template_problems(value):
            self.problem("message", wrong)
        return value
