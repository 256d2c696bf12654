"""The checks of the values a rule is written with: channels, match values, message templates,
Slack IDs; and the wording of problems (``suggest``, ``describe``), so that each problem is one
line with the nearest valid value where there is one.

``bot.watch.rules_keys`` applies them key by key; the JSON Schema (``bot.watch.rules_schema``)
is built from the same patterns and value lists, so the two cannot disagree.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from bot.ingram.codes import HOLD_REASONS, ORDER_STATUSES
from bot.watch.changes import EVENT_KINDS, RULE_FIELDS

_HOLD_FIELDS = frozenset({"holdreasoncode", "previous_holdreasoncode"})
_STATUS_FIELDS = frozenset({"statuscode", "previous_statuscode"})
#: Fields whose values are codes or numbers Ingram writes in upper case; a rule may write
#: them in any case.
UPPERCASE_FIELDS = _HOLD_FIELDS | _STATUS_FIELDS | {"ordernumber", "subordernumber"}

#: A channel as a rule names it: "#name" (Slack's rules for names) or a channel ID.
CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9_-]{0,79}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
#: Whom a rule may mention: a Slack user (U..., or W... on Enterprise Grid) or a user group.
USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{6,}$")
_EVERYONE = frozenset({"here", "channel", "everyone"})


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


def check_channel(value: object) -> str | None:
    """None when ``value`` is a usable channel, else what is wrong with it."""
    if value is None:
        return (
            'missing; quote the channel name, as in channel: "#credit-alerts"'
            " (an unquoted # starts a YAML comment), or give a channel ID such as C0123456789"
        )
    if not isinstance(value, str):
        return f"expected a channel name or ID, got {describe(value)}"
    text = value.strip()
    if CHANNEL_NAME.match(text) or CHANNEL_ID.match(text):
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


def check_mention(value: object) -> str | None:
    """None when ``value`` is a user ID or a user-group ID, else what is wrong with it."""
    if not is_scalar(value) or isinstance(value, bool):
        return f"expected a Slack user ID (U...) or user-group ID (S...), got {describe(value)}"
    text = str(value).strip()
    if USER_ID.match(text) or USERGROUP_ID.match(text):
        return None
    unwrapped = re.sub(r"^<(?:@|!subteam\^)([^>|]+)(?:\|[^>]*)?>$", r"\1", text)
    bare = unwrapped.lstrip("@!").upper()
    if bare.lower() in _EVERYONE:
        return (
            f'"{text}" would notify everyone in the channel, which a rule cannot do; name the'
            " people (U...) or a user group (S...)"
        )
    if USER_ID.match(bare) or USERGROUP_ID.match(bare):
        return f'"{text}" is written like a mention; give the ID alone (did you mean "{bare}"?)'
    if CHANNEL_ID.match(bare):
        return f'"{text}" is a channel ID; mention takes people (U...) and user groups (S...)'
    return (
        f'"{text}" is not a Slack user ID (U0123ABCD) or user-group ID (S0123ABCD); names do'
        " not notify anyone: copy the member ID from the person's profile (⋯ → Copy member ID)"
    )


def match_values(key: str) -> tuple[str, ...] | None:
    """Every value a ``match:`` field can have, when that is a fixed list (codes, events)."""
    if key in _HOLD_FIELDS:
        return tuple(HOLD_REASONS)
    if key in _STATUS_FIELDS:
        return tuple(ORDER_STATUSES)
    if key == "event":
        return EVENT_KINDS
    return None


def normalize_value(key: str, item: object) -> str:
    """A ``match:`` value (or a field of ``orderbot rules test``) as the rule compares it:
    text, trimmed, codes and order numbers in upper case, booleans as YAML writes them."""
    text = str(item).strip()
    if isinstance(item, bool):
        text = text.lower()
    if key in UPPERCASE_FIELDS:
        text = text.upper()
    return text


def check_match_value(key: str, value: str) -> str | None:
    """None when ``value`` is one ``key`` can have, else what is wrong."""
    if key in _HOLD_FIELDS and value not in HOLD_REASONS:
        return f'unknown hold reason code "{value}"{suggest(value, HOLD_REASONS, "codes")}'
    if key in _STATUS_FIELDS and value not in ORDER_STATUSES:
        return f'unknown order status code "{value}"{suggest(value, ORDER_STATUSES, "codes")}'
    if key == "event" and value not in EVENT_KINDS:
        return f'unknown event "{value}"{suggest(value, EVENT_KINDS, "events")}'
    return None


# --- The shape of the table of rule keys (``bot.watch.rules_keys``) --------------------------


class _Invalid:
    """What a key's reader returns when the value could not be used (problems were said)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()

#: A key's reader: (the reader of the rule, the value as written, the keys read before it).
#: (``bot.watch.rules_keys.RuleReader`` is the reader.)
KeyReader = Callable[[Any, Any, Mapping[str, Any]], Any]

#: JSON Schema of a single value as YAML writes it: rules read numbers and booleans as text.
SCALAR: dict[str, Any] = {"type": ["string", "number", "boolean"]}


def one_or_list(item: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Schema of a value, or a non-empty list of such values."""
    return {"anyOf": [dict(item), {"type": "array", "items": dict(item), "minItems": 1}]}


@dataclass(frozen=True)
class RuleKey:
    """One key a rule may have: its name as written, what it is for, its JSON Schema, how it
    is read, and the ``Rule`` attribute it fills. ``missing`` is the problem when a required
    key is absent (None: the key is optional, and absent means ``default``)."""

    name: str
    summary: str
    schema: Mapping[str, Any]
    read: KeyReader
    attribute: str
    missing: str | None = None
    default: Any = None

    @property
    def required(self) -> bool:
        """True for a key every rule must have."""
        return self.missing is not None


@dataclass(frozen=True)
class FileKey:
    """One top-level key of a rules file: its name, what it is for, the JSON Schema of its
    value (``#/definitions/rule`` is the schema of one rule) and whether a file needs it."""

    name: str
    summary: str
    schema: Mapping[str, Any]
    required: bool = False
