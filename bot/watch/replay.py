"""Replaying recorded events through rules: ``orderbot rules replay``, the way to try a rules
change on last week's real traffic. Nothing is posted and nothing is written.

The events are the ones the polls recorded (``bot.store.events_since``). Each poll's events go
through ``build_alerts`` together, as the poller sends them, so digests form as they would
have; then the messages are threaded as the notifier threads them (a later alert about an
order in a channel goes into the thread of that order's first message there, which a digest
can be). ``replay`` counts, per rule and channel, what would have been posted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from bot.store import StoredEvent
from bot.watch.alerts import ALERT, DIGEST, build_alerts
from bot.watch.changes import HOLD_PLACED, SUBORDER_ADDED, Event
from bot.watch.rules import RuleSet


@dataclass(frozen=True)
class ReplayedMessage:
    """One message a rule would have posted: when (the poll's time), alert or digest, its
    notification text, the orders it is about, and whether it would go into a thread."""

    at: datetime
    kind: str
    text: str
    ordernumbers: tuple[str, ...]
    in_thread: bool


@dataclass
class RuleReplay:
    """What one rule would have posted to its channel, and how many events it matched."""

    rule: str
    channel: str
    events: int = 0
    messages: list[ReplayedMessage] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """How many of the messages are of ``kind`` ("alert" or "digest")."""
        return sum(1 for m in self.messages if m.kind == kind)

    @property
    def alerts(self) -> int:
        return self.count(ALERT)

    @property
    def digests(self) -> int:
        return self.count(DIGEST)

    @property
    def in_threads(self) -> int:
        return sum(1 for m in self.messages if m.in_thread)


@dataclass(frozen=True)
class Replay:
    """A replay: how many polls and events it went through, and every rule's share (rules in
    file order, those that would have posted nothing included)."""

    since: datetime
    polls: int
    events: int
    rules: list[RuleReplay]


def poll_events(stored: Sequence[StoredEvent]) -> list[Event]:
    """One poll's events again, as the poller derived them. A ``hold_placed`` had no previous
    state when the same poll added its shipment (the diff yields both for a new shipment
    that arrives on hold), like every ``suborder_added``."""
    added = {e.fields.get("subordernumber") for e in stored if e.fields["event"] == SUBORDER_ADDED}
    return [
        Event.from_fields(
            e.fields,
            new_shipment=e.fields["event"] == SUBORDER_ADDED
            or (e.fields["event"] == HOLD_PLACED and e.fields.get("subordernumber") in added),
        )
        for e in stored
    ]


def replay(stored: Iterable[StoredEvent], rules: RuleSet, *, since: datetime, polls: int) -> Replay:
    """What ``rules`` would have posted for the recorded events (``stored``, in the order
    they were recorded); ``polls`` is how many polls the window holds."""
    shares = {(rule.name, rule.channel): RuleReplay(rule.name, rule.channel) for rule in rules}
    threads: set[tuple[str, str]] = set()
    total = 0
    for _poll, group in groupby(stored, key=lambda e: e.poll_id):
        recorded = list(group)
        total += len(recorded)
        events = poll_events(recorded)
        for event in events:
            for rule in rules.matching(event.fields()):
                shares[(rule.name, rule.channel)].events += 1
        at = recorded[0].at
        for alert in build_alerts(events, rules):
            threaded = (
                alert.kind == ALERT
                and len(alert.ordernumbers) == 1
                and (alert.channel, alert.ordernumbers[0]) in threads
            )
            if not threaded:  # a top-level post starts the thread of each of its orders
                threads.update((alert.channel, number) for number in alert.ordernumbers)
            shares[(alert.rule, alert.channel)].messages.append(
                ReplayedMessage(at, alert.kind, alert.text, tuple(alert.ordernumbers), threaded)
            )
    return Replay(since, polls, total, list(shares.values()))
