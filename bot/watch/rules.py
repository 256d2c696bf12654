"""Alert rules: which watcher events go to which Slack channel, and with what words.

A ``Rule`` matches an event's fields (``matches``) and ``render`` turns the event into the
rule's message. Templates can name event fields and nothing else, and every value is
escaped for Slack mrkdwn before it is put in, so API text can never become a mention or a
link. Rules are written in YAML and read by ``bot.watch.rules_loading``, which checks each
one with ``bot.watch.rules_validation``.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.slack.mrkdwn import escape
from bot.watch.changes import (
    HOLD_CHANGED,
    HOLD_PLACED,
    HOLD_RELEASED,
    STATUS_CHANGED,
    SUBORDER_ADDED,
)

if TYPE_CHECKING:
    from bot.watch.rules_timing import Hours
    from bot.watch.summaries import Summary

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


@dataclass(frozen=True)
class Rule:
    """One rule: on which events (and field values) to post what, where.

    ``match`` maps an event field to the values it may have (any of them); every field in
    it must match. ``message`` is a template of ``{field}`` placeholders, or None for the
    default message of the event kind. ``mentions`` are the Slack user IDs (U..., W...) and
    user-group IDs (S...) the alert notifies.
    """

    name: str
    events: frozenset[str]
    match: dict[str, frozenset[str]] = field(hash=False)
    channel: str
    message: str | None = None
    mentions: tuple[str, ...] = ()
    #: Timing (``bot.watch.rules_timing``): how long an alert settles before it is posted,
    #: when the first reminder and the later ones are due, and the hours it may be posted in.
    settle: timedelta | None = None
    remind_after: timedelta | None = None
    remind_every: timedelta | None = None
    hours: Hours | None = field(default=None, hash=False)
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
    #: The ``summaries:`` of the rules files (``bot.watch.summaries.Summary``), file order.
    summaries: tuple[Summary, ...] = ()

    def summary(self, name: str) -> Summary | None:
        """The summary called ``name``, if any."""
        return next((s for s in self.summaries if s.name == name), None)

    def matching(self, event_fields: Mapping[str, str]) -> list[Rule]:
        """The rules an event (its ``Event.fields()``) matches."""
        return [rule for rule in self.rules if rule.matches(event_fields)]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


# --- Rendering ---------------------------------------------------------------------------------


def _substitute(template: str, values: Mapping[str, str]) -> str:
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


def mentions(rule: Rule) -> str:
    """The rule's mentions as Slack writes them (``<@U...>``, ``<!subteam^S...>``), each
    followed by a space; "" for a rule that mentions nobody. The IDs were checked when the
    rules were read; nothing from Ingram ever gets here."""
    return "".join(
        f"<!subteam^{who}> " if who.startswith("S") else f"<@{who}> " for who in rule.mentions
    )


def render(rule: Rule, fields: Mapping[str, str]) -> str:
    """The rule's message for an event (its ``Event.fields()``), as Slack mrkdwn, after the
    rule's mentions.

    Uses the rule's template, or the default message of the event kind. Every field value
    is escaped for mrkdwn before it goes in; placeholders only ever name plain fields, so
    nothing but those values can be reached, and only the rule's own mentions notify anyone.
    """
    values = {key: escape(value) for key, value in fields.items()}
    default = DEFAULT_MESSAGES.get(fields.get("event", ""), _FALLBACK_MESSAGE)
    template = rule.message or default
    try:
        text = _substitute(template, values)
    except ValueError:  # a Rule built in code with a broken template
        text = _substitute(default, values)
    return mentions(rule) + text
