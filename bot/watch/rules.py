"""Alert rules: which watcher events go to which Slack channel, and with what words.

Rules are YAML, in a file or a folder of ``*.yaml`` files (``ORDERBOT_RULES``). The format is
a contract every user writes, so loading checks everything and reports every problem at
once, each naming the file, the rule and the field::

    rules:
      - name: credit-holds                 # unique across all files
        on: hold_placed                    # an event, or a list of events
        match:                             # optional; every key must match; a list = any of
          holdreasoncode: [C3, C4, C5, C8, CC, CH, CL, PC, PD]
        channel: "#credit-alerts"          # channel name (quoted) or ID
        message: "Credit hold on {subordernumber}: {holdreason}"   # optional template

Values are read as written: only ``true``/``false`` are booleans (so ``on:`` is the key "on",
not YAML 1.1's True) and numbers stay text (``00123`` is not the octal number 83).
Templates can name event fields and nothing else, and every value is escaped for Slack
mrkdwn before it is put in, so API text can never become a mention or a link.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError

from bot.ingram.codes import HOLD_REASONS, ORDER_STATUSES
from bot.slack.mrkdwn import escape
from bot.watch.changes import (
    EVENT_KINDS,
    HOLD_CHANGED,
    HOLD_PLACED,
    HOLD_RELEASED,
    RULE_FIELDS,
    STATUS_CHANGED,
    SUBORDER_ADDED,
)

#: The keys a rule may have.
RULE_KEYS: tuple[str, ...] = ("name", "on", "match", "channel", "message")

_HOLD_FIELDS = frozenset({"holdreasoncode", "previous_holdreasoncode"})
_STATUS_FIELDS = frozenset({"statuscode", "previous_statuscode"})
_UPPERCASE_FIELDS = _HOLD_FIELDS | _STATUS_FIELDS | {"ordernumber", "subordernumber"}

_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9_-]{0,79}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")

#: The message of a rule without ``message:``, per event kind (mrkdwn; values are escaped).
DEFAULT_MESSAGES: dict[str, str] = {
    HOLD_PLACED: "Hold placed on {subordernumber}: {holdreasoncode} {holdreason}",
    HOLD_RELEASED: (
        "Hold released on {subordernumber} (was {previous_holdreasoncode} {previous_holdreason})"
    ),
    HOLD_CHANGED: (
        "Hold changed on {subordernumber}: {previous_holdreasoncode} → {holdreasoncode}"
        " {holdreason}"
    ),
    STATUS_CHANGED: "Status of {subordernumber} changed: {previous_status} → {status}",
    SUBORDER_ADDED: "New shipment {subordernumber} of order {ordernumber}",
}
_FALLBACK_MESSAGE = "{event} on {subordernumber}"


class RulesError(Exception):
    """The rules cannot be used; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Rule:
    """One rule: on which events (and field values) to post what, where.

    ``match`` maps an event field to the values it may have (any of them); every field in
    it must match. ``message`` is a template of ``{field}`` placeholders, or None for the
    default message of the event kind.
    """

    name: str
    events: frozenset[str]
    match: dict[str, frozenset[str]] = field(hash=False)
    channel: str
    message: str | None = None
    source: Path = field(default_factory=lambda: Path("."))

    def matches(self, event_fields: Mapping[str, str]) -> bool:
        """True when the event is one of the rule's and every ``match`` field has a value
        the rule lists."""
        if event_fields.get("event", "") not in self.events:
            return False
        return all(event_fields.get(key, "") in values for key, values in self.match.items())


@dataclass(frozen=True)
class RuleSet:
    """All the rules in force, in file order (files sorted by name) then rule order."""

    rules: tuple[Rule, ...] = ()

    def matching(self, event_fields: Mapping[str, str]) -> list[Rule]:
        """The rules an event (its ``Event.fields()``) matches."""
        return [rule for rule in self.rules if rule.matches(event_fields)]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


# --- YAML, read as written -------------------------------------------------------------------


class RulesLoader(yaml.SafeLoader):
    """A SafeLoader that reads rules as written.

    YAML 1.1 makes ``on``/``off``/``yes``/``no``/``y``/``n`` booleans, so a bare ``on:``
    key would come back as True; here only ``true``/``false`` are booleans. Numbers and
    dates are not resolved either (every value of a rule is text), and a key given twice in
    one mapping is an error instead of silently keeping the last one.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag
            not in (
                "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:int",
                "tag:yaml.org,2002:float",
                "tag:yaml.org,2002:timestamp",
            )
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key; SafeLoader reports it
                continue
            if duplicate:
                raise ConstructorError(
                    None, None, f'the key "{key}" appears twice in one mapping', key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


RulesLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _read_yaml(path: Path, shown: str) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [f"{shown}: not UTF-8 text; save the rules file as UTF-8"]
    except OSError as exc:
        return None, [f"{shown}: cannot be read: {exc.strerror or exc}"]
    try:
        return yaml.load(text, Loader=RulesLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, [f"{shown}: {where}YAML error: {what}"]
    except yaml.YAMLError as exc:
        return None, [f"{shown}: YAML error: {exc}"]


# --- Validation --------------------------------------------------------------------------------


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


def _hint(value: str, candidates: Iterable[str], what: str) -> str:
    options = [c for c in candidates if c]
    guess = nearest(value, options)
    if guess is not None:
        return f' (did you mean "{guess}"?)'
    return f" ({what}: {', '.join(options)})"


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return f'"{value}"'


def _is_scalar(value: object) -> bool:
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
                f'placeholder {shown}: unknown field "{name}"{_hint(name, RULE_FIELDS, "fields")}'
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
        return f"expected a channel name or ID, got {_kind(value)}"
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
        return f'unknown hold reason code "{value}"{_hint(value, HOLD_REASONS, "codes")}'
    if key in _STATUS_FIELDS and value not in ORDER_STATUSES:
        return f'unknown order status code "{value}"{_hint(value, ORDER_STATUSES, "codes")}'
    if key == "event" and value not in EVENT_KINDS:
        return f'unknown event "{value}"{_hint(value, EVENT_KINDS, "events")}'
    return None


class _RuleReader:
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
            self.problem("", f"expected a mapping with name, on and channel, got {_kind(raw)}")
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
            self.problem("", f'unknown key "{key_name}"{_hint(key_name, RULE_KEYS, "a rule has")}')
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
        if not _is_scalar(value) or not str(value).strip():
            self.problem("name", f"expected a name, got {_kind(value)}")
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
                self.problem("on", f"expected an event or a list of events, got {_kind(item)}")
                ok = False
                continue
            kind = item.strip()
            if kind not in EVENT_KINDS:
                self.problem("on", f'unknown event "{kind}"{_hint(kind, EVENT_KINDS, "events")}')
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
                f" {_kind(value)} (remove match: to match every event)",
            )
            return None
        match: dict[str, frozenset[str]] = {}
        ok = True
        for raw_key, raw_values in value.items():
            key = str(raw_key)
            where = f"match.{key}"
            if key not in RULE_FIELDS:
                self.problem(where, f'unknown field "{key}"{_hint(key, RULE_FIELDS, "fields")}')
                ok = False
                continue
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            if not items:
                self.problem(where, "empty list, which matches nothing; give at least one value")
                ok = False
                continue
            accepted: set[str] = set()
            for item in items:
                if not _is_scalar(item):
                    hint = ' (write "" to match a blank code)' if item is None else ""
                    self.problem(
                        where, f"expected a value or a list of values, got {_kind(item)}{hint}"
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
                f" {_kind(value)} (remove message: for the default)",
            )
            return None
        for wrong in template_problems(value):
            self.problem("message", wrong)
        return value


def _rule_files(path: Path) -> tuple[list[Path], list[str]]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.yaml") if p.is_file())
        if not files:
            others = sorted(p.name for p in path.glob("*.yml"))
            extra = f" (found {', '.join(others)}: rename them to .yaml)" if others else ""
            return [], [
                f"{path}: the folder has no *.yaml rules files{extra}; add one (see the"
                " examples in orderbot's rules/ folder) or set ORDERBOT_RULES to a rules file"
            ]
        return files, []
    if path.is_file():
        return [path], []
    return [], [
        f"{path}: no such file or folder; set ORDERBOT_RULES to a rules file or a folder of"
        " *.yaml rules files"
    ]


def _load(path: str | Path) -> tuple[RuleSet, list[str]]:
    root = Path(path)
    files, problems = _rule_files(root)
    rules: list[Rule] = []
    names: dict[str, str] = {}
    for file in files:
        shown = str(file)
        data, read_problems = _read_yaml(file, shown)
        if read_problems:
            problems += read_problems
            continue
        if data is None:
            problems.append(
                f'{shown}: the file is empty; it needs a "rules:" list (see the examples in'
                " orderbot's rules/ folder)"
            )
            continue
        if not isinstance(data, Mapping):
            problems.append(f'{shown}: expected a mapping with a "rules:" list, got {_kind(data)}')
            continue
        for key in data:
            if str(key) != "rules":
                problems.append(
                    f'{shown}: unknown top-level key "{key}"{_hint(str(key), ["rules"], "keys")}'
                )
        if "rules" not in data:
            problems.append(f'{shown}: no "rules:" list at the top level')
            continue
        items = data["rules"]
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(f"{shown}: rules: expected a list of rules, got {_kind(items)}")
            continue
        for index, raw in enumerate(items, start=1):
            reader = _RuleReader(shown, index, raw, file)
            rule = reader.read()
            problems += reader.problems
            rule_name = rule.name if rule else _raw_name(raw)
            if rule_name is None:
                continue
            if rule_name in names:
                problems.append(
                    f'{shown}: rule "{rule_name}": name: duplicate; {names[rule_name]} already'
                    " has a rule of that name (names must be unique across all rules files)"
                )
                continue
            names[rule_name] = f"{shown} (rule #{index})"
            if rule is not None:
                rules.append(rule)
    return RuleSet(tuple(rules)), problems


def _raw_name(raw: Any) -> str | None:
    if isinstance(raw, Mapping) and _is_scalar(raw.get("name")) and str(raw["name"]).strip():
        return str(raw["name"]).strip()
    return None


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate the rules in a file or a folder of ``*.yaml`` (sorted by name).

    Raises ``RulesError`` listing every problem, one a line, each naming the file, the rule
    and the field, with the nearest valid value where there is one.
    """
    ruleset, problems = _load(path)
    if problems:
        raise RulesError(problems)
    return ruleset


def check_rules(path: str | Path) -> list[str]:
    """The problems of the rules at ``path`` (``[]`` when they are valid), for
    ``orderbot rules check``."""
    return _load(path)[1]


# --- Rendering ---------------------------------------------------------------------------------


def _substitute(template: str, values: Mapping[str, str]) -> str:
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


def render(rule: Rule, fields: Mapping[str, str]) -> str:
    """The rule's message for an event (its ``Event.fields()``), as Slack mrkdwn.

    Uses the rule's template, or the default message of the event kind. Every field value
    is escaped for mrkdwn before it goes in; placeholders only ever name plain fields, so
    nothing but those values can be reached.
    """
    values = {key: escape(value) for key, value in fields.items()}
    default = DEFAULT_MESSAGES.get(fields.get("event", ""), _FALLBACK_MESSAGE)
    template = rule.message or default
    try:
        return _substitute(template, values)
    except ValueError:  # a Rule built in code with a broken template
        return _substitute(default, values)
