"""The keys of a rule, in ONE table: the validator, the JSON Schema and the README read it.

Each ``RuleKey`` says what the key is for (``summary``: the README's table of keys and the
schema's description), the JSON Schema of its value (``schema``: what editors complete and
check as people type), and how the validator reads it (``read``: the value as written, to what
the ``Rule`` holds in ``attribute``, each problem reported on the ``RuleReader``). Adding a
key is adding a row to ``RULE_KEYS`` (and the ``Rule`` attribute it fills); ``FILE_KEYS`` are
the keys of a rules file itself.

``RuleReader`` checks one rule mapping against the table, every problem one line naming the
file, the rule and the field, with the nearest valid value where there is one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.watch.changes import EVENT_KINDS, RULE_FIELDS
from bot.watch.rules import Rule
from bot.watch.rules_timing import TIMING_KEYS
from bot.watch.rules_validation import (
    CHANNEL_ID,
    CHANNEL_NAME,
    INVALID,
    SCALAR,
    USER_ID,
    USERGROUP_ID,
    FileKey,
    RuleKey,
    check_channel,
    check_match_value,
    check_mention,
    describe,
    is_scalar,
    match_values,
    normalize_value,
    one_or_list,
    suggest,
    template_problems,
)
from bot.watch.summaries import SUMMARY_SCHEMA

# --- The readers, one per key -----------------------------------------------------------------


def _read_name(reader: RuleReader, value: Any, _read: Mapping[str, Any]) -> Any:
    if not is_scalar(value) or not str(value).strip():
        reader.problem("name", f"expected a name, got {describe(value)}")
        return INVALID
    return str(value).strip()


def _read_on(reader: RuleReader, value: Any, _read: Mapping[str, Any]) -> Any:
    items = value if isinstance(value, list) else [value]
    if not items:
        reader.problem("on", f"empty list; name at least one of {', '.join(EVENT_KINDS)}")
        return INVALID
    events: set[str] = set()
    ok = True
    for item in items:
        if not isinstance(item, str) or not item.strip():
            reader.problem("on", f"expected an event or a list of events, got {describe(item)}")
            ok = False
            continue
        kind = item.strip()
        if kind not in EVENT_KINDS:
            reader.problem("on", f'unknown event "{kind}"{suggest(kind, EVENT_KINDS, "events")}')
            ok = False
            continue
        events.add(kind)
    return frozenset(events) if ok else INVALID


def _read_match(reader: RuleReader, value: Any, read: Mapping[str, Any]) -> Any:
    if not isinstance(value, Mapping) or not value:
        reader.problem(
            "match",
            f"expected field: value pairs such as holdreasoncode: [C3, C4], got"
            f" {describe(value)} (remove match: to match every event)",
        )
        return INVALID
    events = read.get("on")
    match: dict[str, frozenset[str]] = {}
    ok = True
    for raw_key, raw_values in value.items():
        key = str(raw_key)
        where = f"match.{key}"
        if key not in RULE_FIELDS:
            reader.problem(where, f'unknown field "{key}"{suggest(key, RULE_FIELDS, "fields")}')
            ok = False
            continue
        items = raw_values if isinstance(raw_values, list) else [raw_values]
        if not items:
            reader.problem(where, "empty list, which matches nothing; give at least one value")
            ok = False
            continue
        accepted: set[str] = set()
        for item in items:
            if not is_scalar(item):
                hint = ' (write "" to match a blank code)' if item is None else ""
                reader.problem(
                    where, f"expected a value or a list of values, got {describe(item)}{hint}"
                )
                ok = False
                continue
            text = normalize_value(key, item)
            wrong = check_match_value(key, text)
            if wrong:
                reader.problem(where, wrong)
                ok = False
                continue
            accepted.add(text)
        if key == "event" and isinstance(events, frozenset) and accepted and not accepted & events:
            reader.problem(
                where,
                f"none of {', '.join(sorted(accepted))} is among the rule's on: events"
                f" ({', '.join(sorted(events))}), so the rule could never match",
            )
            ok = False
        match[key] = frozenset(accepted)
    return match if ok else INVALID


def _read_channel(reader: RuleReader, value: Any, _read: Mapping[str, Any]) -> Any:
    wrong = check_channel(value)
    if wrong:
        reader.problem("channel", wrong)
        return INVALID
    return str(value).strip()


def _read_message(reader: RuleReader, value: Any, _read: Mapping[str, Any]) -> Any:
    if not isinstance(value, str) or not value.strip():
        reader.problem(
            "message",
            f'expected a template such as "Credit hold on {{subordernumber}}", got'
            f" {describe(value)} (remove message: for the default)",
        )
        return INVALID
    problems = template_problems(value)
    for wrong in problems:
        reader.problem("message", wrong)
    return INVALID if problems else value


def _read_mention(reader: RuleReader, value: Any, _read: Mapping[str, Any]) -> Any:
    items = value if isinstance(value, list) else [value]
    if not items:
        reader.problem("mention", "empty list; give a user ID or remove mention:")
        return INVALID
    ids: list[str] = []
    for item in items:
        wrong = check_mention(item)
        if wrong:
            reader.problem("mention", wrong)
            continue
        ids.append(str(item).strip())
    if len(ids) < len(items):
        return INVALID
    return tuple(dict.fromkeys(ids))


def _match_schema() -> dict[str, Any]:
    def values(key: str) -> dict[str, Any]:
        fixed = match_values(key)
        return one_or_list({"enum": list(fixed)} if fixed is not None else SCALAR)

    return {
        "type": "object",
        "minProperties": 1,
        "properties": {key: values(key) for key in RULE_FIELDS},
        "additionalProperties": False,
    }


# --- The table ---------------------------------------------------------------------------------

#: Every key a rule may have, in the order the README and the schema list them.
RULE_KEYS: tuple[RuleKey, ...] = (
    RuleKey(
        "name",
        "unique across all rules files; shown under each alert",
        {"type": ["string", "number"], "minLength": 1},
        _read_name,
        "name",
        missing="missing; every rule needs a unique name",
    ),
    RuleKey(
        "on",
        "the event, or a list of events, that trigger the rule",
        one_or_list({"enum": list(EVENT_KINDS)}),
        _read_on,
        "events",
        missing=f"missing; name the events that trigger the rule: {', '.join(EVENT_KINDS)}",
    ),
    RuleKey(
        "match",
        'field: value pairs that must all match; a list means any of them; "" is a blank code',
        _match_schema(),
        _read_match,
        "match",
        default={},
    ),
    RuleKey(
        "channel",
        'where to post: a channel name, quoted ("#credit-alerts"), or a channel ID',
        {
            "type": "string",
            "anyOf": [{"pattern": CHANNEL_NAME.pattern}, {"pattern": CHANNEL_ID.pattern}],
        },
        _read_channel,
        "channel",
        missing=(
            'missing; say where to post, as in channel: "#credit-alerts" (quoted) or a channel ID'
        ),
    ),
    RuleKey(
        "message",
        "the alert's headline, a template of {field} placeholders (default: one per event)",
        {"type": "string", "minLength": 1},
        _read_message,
        "message",
    ),
    RuleKey(
        "mention",
        "Slack user IDs (U...) and user-group IDs (S...) to notify in the alert",
        one_or_list(
            {
                "type": "string",
                "anyOf": [{"pattern": USER_ID.pattern}, {"pattern": USERGROUP_ID.pattern}],
            }
        ),
        _read_mention,
        "mentions",
        default=(),
    ),
    *TIMING_KEYS,
)

#: The names of the rule keys, for messages ("a rule has: name, on, ...").
RULE_KEY_NAMES: tuple[str, ...] = tuple(key.name for key in RULE_KEYS)

#: The top-level keys of a rules file.
FILE_KEYS: tuple[FileKey, ...] = (
    FileKey(
        "rules",
        "the alert rules, a list",
        {"type": ["array", "null"], "items": {"$ref": "#/definitions/rule"}},
        required=True,
    ),
    FileKey(
        "summaries",
        "digests of the holds open now, posted at set times (`orderbot summary NAME`)",
        {"type": ["array", "null"], "items": SUMMARY_SCHEMA},
    ),
)


# --- Reading one rule -------------------------------------------------------------------------


class RuleReader:
    """Validates one rule mapping against ``RULE_KEYS``, collecting problems with the file and
    rule named."""

    def __init__(self, shown: str, index: int, raw: Any, source: Path) -> None:
        self.shown = shown
        self.raw = raw
        self.source = source
        self.label = f"rule #{index}"
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        """Note a problem of the key ``where`` ("" for the rule as a whole)."""
        prefix = f"{self.shown}: {self.label}: "
        self.problems.append(prefix + (f"{where}: {message}" if where else message))

    def read(self) -> Rule | None:
        """The rule, or None when it has problems (then ``problems`` lists them)."""
        raw = self.raw
        if not isinstance(raw, Mapping):
            self.problem("", f"expected a mapping with name, on and channel, got {describe(raw)}")
            return None
        values: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in raw.items():
            key_name = "on" if key is True else str(key)
            if key_name not in RULE_KEY_NAMES:
                unknown.append(key_name)
            elif key_name in values:
                self.problem(key_name, 'given twice (write the key "on" only once)')
            else:
                values[key_name] = value

        # The name comes first: every later problem names the rule by it.
        first, *others = RULE_KEYS
        read: dict[str, Any] = {first.name: self._read_key(first, values, {})}
        if read[first.name] is not INVALID:
            self.label = f'rule "{read[first.name]}"'
        for key_name in unknown:
            self.problem(
                "", f'unknown key "{key_name}"{suggest(key_name, RULE_KEY_NAMES, "a rule has")}'
            )
        for key in others:
            read[key.name] = self._read_key(key, values, read)
        if self.problems or any(value is INVALID for value in read.values()):
            return None
        return Rule(**{key.attribute: read[key.name] for key in RULE_KEYS}, source=self.source)

    def _read_key(self, key: RuleKey, values: Mapping[str, Any], read: Mapping[str, Any]) -> Any:
        if key.name in values:
            return key.read(self, values[key.name], read)
        if key.missing is not None:
            self.problem(key.name, key.missing)
            return INVALID
        return copy.copy(key.default)
