"""What a poll does to the hold lifecycle, in its own transaction (``save_poll`` calls
``after_poll`` once the snapshot and the events are written).

In order: settling rows the poll's changes undo are made ``undone`` (``bot.store.waiting``),
the poll's alerts are queued, the orders' hold times are brought up to date
(``bot.store.cards``), reminders of shipments no longer on hold end and those the poll's
alerts start are opened (``bot.store.reminders``), snoozes "until it changes" of the orders
that changed end (``bot.store.owners``), and every card of those orders gets an update
queued, so a card shows the order as last read even when no rule of its channel alerted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlite_utils import Database

from bot.clock import iso
from bot.store import queueing
from bot.store.cards import queue_card_updates, track_order_holds
from bot.store.outbox import UNDONE
from bot.store.owners import end_change_snoozes
from bot.store.queueing import QueuedRow
from bot.store.reminders import ReminderStart, end_released, start_reminders
from bot.store.waiting import Undone, undo_settled


class PollEvent(Protocol):
    """What the store records of one change a poll derived (``bot.watch.changes.Event`` is one):
    its kind, the order and shipment it is about, and its fields, stored as JSON."""

    @property
    def kind(self) -> str: ...

    @property
    def ordernumber(self) -> str: ...

    @property
    def subordernumber(self) -> str: ...

    def fields(self) -> Mapping[str, str]: ...


def after_poll(
    db: Database,
    *,
    poll_id: int,
    at: datetime,
    events: Sequence[PollEvent],
    rows: list[QueuedRow],
    baseline: bool,
) -> Undone:
    """The lifecycle's part of a poll (see the module's docstring); what settling kept quiet."""
    conn = db.conn
    event_ids = {
        (kind, sub): int(id)
        for id, kind, sub in conn.execute(
            "SELECT id, event, subordernumber FROM events WHERE poll_id = ?", [poll_id]
        )
    }
    undone = undo_settled(db, [(e.subordernumber, e.fields()) for e in events], rows, at)
    queueing.queue(conn, poll_id, rows, event_ids)
    touched = {e.ordernumber for e in events}
    track_order_holds(db, touched, at, baseline=baseline)
    end_released(conn, {e.subordernumber for e in events}, at)
    start_reminders(conn, _starts(rows), at)
    end_change_snoozes(conn, touched, iso(at))
    queue_card_updates(db, touched, at)
    return undone


def _starts(rows: Sequence[QueuedRow]) -> list[ReminderStart]:
    """The reminders the queued alerts start: rules with ``remind_after`` about a shipment
    the change left on hold."""
    starts = []
    for row in rows:
        after = row.get("_remind_after")
        if not after or not row.get("_on_hold") or row["status"] == UNDONE:
            continue
        numbers = json.loads(row["ordernumbers"])
        if len(numbers) != 1:
            continue
        starts.append(
            ReminderStart(
                row["channel"],
                row["rule"],
                numbers[0],
                row["subordernumber"],
                timedelta(seconds=float(after)),
            )
        )
    return starts
