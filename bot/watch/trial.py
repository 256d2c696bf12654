"""Trying the rules on one made-up event: ``orderbot rules test EVENT FIELD=VALUE ...``.

``trial_fields`` builds the event's fields from what was typed (every field of
``RULE_FIELDS`` may be given, ``previous_*`` included; the others are blank, except that a
status or hold text left out is the spec's description of the code given, as in a real
event). ``try_rules`` says which rules match and what each would post; for a rule of the same
event that does not match, ``why_not`` names the first field that stopped it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.ingram.codes import hold_description, status_description
from bot.watch.changes import EVENT_KINDS, RULE_FIELDS
from bot.watch.rules import Rule, RuleSet, render
from bot.watch.rules_validation import check_match_value, normalize_value, suggest

#: (code field, text field, the description of a code) of each text a real event fills in.
_TEXTS = (
    ("statuscode", "status", status_description),
    ("holdreasoncode", "holdreason", hold_description),
    ("previous_statuscode", "previous_status", status_description),
    ("previous_holdreasoncode", "previous_holdreason", hold_description),
)


class TrialError(ValueError):
    """What was typed is not an event; the message is one line naming the nearest valid
    event or field."""


@dataclass(frozen=True)
class TrialMatch:
    """A rule that matches the event, where it posts, and the message it renders."""

    rule: Rule
    message: str


def trial_fields(kind: str, assignments: Sequence[str]) -> dict[str, str]:
    """The fields of an event of ``kind`` from ``FIELD=VALUE`` assignments.

    Raises ``TrialError`` for an unknown event or field, an assignment without ``=``, a
    field given twice, or a code that Ingram's tables do not have.
    """
    if kind not in EVENT_KINDS:
        raise TrialError(f'unknown event "{kind}"{suggest(kind, EVENT_KINDS, "events")}')
    settable = [name for name in RULE_FIELDS if name != "event"]
    given: dict[str, str] = {}
    for assignment in assignments:
        name, equals, raw = assignment.partition("=")
        name = name.strip()
        if not equals:
            raise TrialError(
                f'"{assignment}" is not FIELD=VALUE; write it as in holdreasoncode=C3'
                " (holdreasoncode= for a blank code)"
            )
        if name == "event":
            raise TrialError(f"the event is {kind}, given before the fields; drop event=")
        if name not in settable:
            raise TrialError(f'unknown field "{name}"{suggest(name, settable, "fields")}')
        if name in given:
            raise TrialError(f"{name} is given twice")
        value = normalize_value(name, raw)
        wrong = check_match_value(name, value)
        if wrong:
            raise TrialError(f"{name}: {wrong}")
        given[name] = value
    fields = {name: given.get(name, "") for name in RULE_FIELDS}
    fields["event"] = kind
    for code, text, describe in _TEXTS:
        if code in given and text not in given:
            fields[text] = describe(given[code])
    return fields


def try_rules(rules: RuleSet, fields: Mapping[str, str]) -> list[TrialMatch]:
    """Every rule the event matches, in rule order, with the message it would post."""
    return [TrialMatch(rule, render(rule, fields)) for rule in rules.matching(fields)]


def why_not(rule: Rule, fields: Mapping[str, str]) -> str:
    """Why ``rule`` does not match the event: its events, or the first ``match`` field whose
    value it does not list."""
    kind = fields.get("event", "")
    if kind not in rule.events:
        return f"it is on {', '.join(sorted(rule.events))}, not {kind}"
    for key, values in rule.match.items():
        value = fields.get(key, "")
        if value not in values:
            listed = ", ".join(v or '""' for v in sorted(values))
            shown = f'"{value}"' if value else "blank"
            return f"{key} is {shown}, not one of {listed}"
    return "it matches"
