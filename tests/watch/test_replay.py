"""Replaying recorded events: the poller's grouping (digests), the notifier's threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import StoredEvent, SuborderState
from bot.watch.changes import Event, diff
from bot.watch.replay import poll_events, replay
from bot.watch.rules import Rule, RuleSet

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CREDIT = Rule("credit", frozenset({"hold_placed"}), {}, "#credit-alerts")
ADDED = Rule("added", frozenset({"suborder_added"}), {}, "#added")


def state(number: str, hold: str = "", status: str = "") -> SuborderState:
    return SuborderState(number, number.rsplit("-", 1)[0], "PO-1", "", status, "", hold, "")


def recorded(poll_id: int, events: list[Event], hours: float = 0) -> list[StoredEvent]:
    at = AT + timedelta(hours=hours)
    return [StoredEvent(poll_id, at, e.fields()) for e in events]


def test_from_fields_gives_the_event_back() -> None:
    previous = {"20-A0001-11": state("20-A0001-11", status="W")}
    current = [state("20-A0001-11", "C3", "C"), state("20-A0002-11", "SH", "S")]
    events = diff(previous, current, baseline=False, customernumber="20-123456", country="UK")
    assert [e.kind for e in events] == [
        "hold_placed",
        "status_changed",
        "suborder_added",
        "hold_placed",
    ]
    again = poll_events(recorded(1, events))
    assert [e.fields() for e in again] == [e.fields() for e in events]
    # The new shipment's events have no previous state; the known one's do.
    assert [e.previous is None for e in again] == [False, False, True, True]


def test_each_poll_is_grouped_as_the_poller_grouped_it_and_threads_follow() -> None:
    six = [
        Event("hold_placed", state(f"20-B{n:04d}-11", "C3"), state(f"20-B{n:04d}-11"))
        for n in range(6)
    ]
    one = [Event("hold_placed", state("20-A0001-11", "C3"), state("20-A0001-11"))]
    again = [Event("hold_placed", state("20-B0003-21", "C4"), state("20-B0003-21"))]
    stored = recorded(1, one) + recorded(2, six, 1) + recorded(3, again + one, 2)
    result = replay(stored, RuleSet((CREDIT, ADDED)), since=AT, polls=5)
    assert (result.polls, result.events) == (5, 9)
    credit, added = result.rules
    assert (added.rule, added.messages, added.events) == ("added", [], 0)
    assert [(m.kind, m.in_thread, m.at) for m in credit.messages] == [
        ("alert", False, AT),
        ("digest", False, AT + timedelta(hours=1)),  # six in one poll: one digest
        ("alert", True, AT + timedelta(hours=2)),  # 20-B0003 was in the digest: its thread
        ("alert", True, AT + timedelta(hours=2)),  # 20-A0001's first alert: its thread
    ]
    assert (credit.alerts, credit.digests, credit.in_threads, credit.events) == (3, 1, 2, 9)
    assert credit.messages[2].ordernumbers == ("20-B0003",)
