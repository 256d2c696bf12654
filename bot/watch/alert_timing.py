"""What an alert carries to the outbox besides its words: the change it is about
(``Subject``: which shipment, and the value that would undo it while it settles) and when it
may be posted (``Timing``: after the rule's ``settle`` time, inside the rule's ``hours``, and
when its first reminder is due). ``bot.store.queueing.serialize`` reads both.

Settle and hours are both "not yet" states of one outbox row (``waiting``): settle first,
then, when the settle time is over, the hours (``bot.watch.waiting``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.outbox import HOURS, SETTLE
from bot.watch.changes import (
    HOLD_CHANGED,
    HOLD_PLACED,
    HOLD_RELEASED,
    STATUS_CHANGED,
    Event,
)
from bot.watch.rules import Rule

#: The field each kind of change changes: seeing it back at its old value undoes the change.
UNDO_FIELDS = {
    HOLD_PLACED: "holdreasoncode",
    HOLD_RELEASED: "holdreasoncode",
    HOLD_CHANGED: "holdreasoncode",
    STATUS_CHANGED: "statuscode",
}


@dataclass(frozen=True, slots=True)
class Subject:
    """The change one alert is about: its event, its shipment, the field and the value
    before (None for a change nothing undoes, such as a new shipment), and whether the
    shipment is on hold after it."""

    event: str
    subordernumber: str
    undo_field: str | None
    undo_value: str | None
    on_hold: bool


@dataclass(frozen=True, slots=True)
class Timing:
    """When an alert may be posted: ``waiting_for`` (None: now; "settle" or "hours") until
    ``wait_until``; the end of its settle time; its rule's hours (``Hours.text``); and the
    seconds after which its first reminder is due (None: no reminders)."""

    waiting_for: str | None
    wait_until: datetime | None
    settle_until: datetime | None
    hours: str | None
    remind_after: float | None


def subject_of(event: Event) -> Subject:
    """What the alert about ``event`` is about."""
    field = UNDO_FIELDS.get(event.kind) if event.previous is not None else None
    before = getattr(event.previous, field) if field and event.previous is not None else None
    current = event.current
    return Subject(
        event.kind, current.subordernumber, field, before, current.on_hold and not current.deleted
    )


def timing_of(rule: Rule, now: datetime | None, *, settles: bool = True) -> Timing | None:
    """When an alert of ``rule`` made at ``now`` may be posted (None: now, no reminders).
    ``settles``: the alert can settle (a digest does not: its changes are many)."""
    if now is None or (rule.settle is None and rule.hours is None and rule.remind_after is None):
        return None
    hours = rule.hours.text if rule.hours is not None else None
    remind = rule.remind_after.total_seconds() if rule.remind_after is not None else None
    if settles and rule.settle is not None:
        until = now + rule.settle
        return Timing(SETTLE, until, until, hours, remind)
    if rule.hours is not None and not rule.hours.is_open(now):
        return Timing(HOURS, rule.hours.next_open(now), None, hours, remind)
    return Timing(None, None, None, hours, remind)
