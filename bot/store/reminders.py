"""Reminders: rows, not timers, so they survive restarts.

A rule with ``remind_after`` starts a reminder when it alerts about a shipment that stays on
hold: one open row per (rule's channel, rule, shipment), due at ``next_at``. A poll ends the
reminders of shipments that are no longer on hold (released, or their order deleted) in its
own transaction. When one falls due, the writer's reminder job (``bot.watch.reminders``)
decides in ONE transaction (``step_reminder``) whether to queue the reminder in the outbox
(and when the next one is due), to put it off (snoozed, outside the rule's hours) or to end it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.ingram.codes import DELETED_HOLD, DELETED_STATUS
from bot.store._sql import dict_rows, immediate, optional_time
from bot.store.cards import Card, get_card
from bot.store.outbox import REMINDER
from bot.store.owners import Owner, get_owner
from bot.store.queueing import QueuedRow, insert_rows, message_row
from bot.store.snapshot import SnapshotRow, get_snapshot_row


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder: which hold (shipment) in which channel, for which rule, since when the
    hold has been open, and when it is next due (``sent``: how many went out)."""

    id: int
    channel: str
    ordernumber: str
    subordernumber: str
    rule: str
    started_at: datetime
    next_at: datetime
    sent: int
    last_sent_at: datetime | None
    ended_at: datetime | None
    ended_why: str | None

    @classmethod
    def _from(cls, r: dict[str, Any]) -> Reminder:
        return cls(
            r["id"],
            r["channel"],
            r["ordernumber"],
            r["subordernumber"],
            r["rule"],
            from_iso(r["started_at"]),
            from_iso(r["next_at"]),
            r["sent"],
            optional_time(r["last_sent_at"]),
            optional_time(r["ended_at"]),
            r["ended_why"],
        )


@dataclass(frozen=True, slots=True)
class ReminderStart:
    """A reminder a poll's alert starts: channel, rule, order, shipment, first one after."""

    channel: str
    rule: str
    ordernumber: str
    subordernumber: str
    after: timedelta


@dataclass(frozen=True, slots=True)
class ReminderContext:
    """What deciding a due reminder needs: the reminder, the shipment as the snapshot has it
    now (None: no longer watched), the order's owner and snooze, and its card in the channel."""

    reminder: Reminder
    shipment: SnapshotRow | None
    owner: Owner | None
    card: Card | None


@dataclass(frozen=True, slots=True)
class Send:
    """Queue this reminder (its text) now; the next one is due at ``next_at``."""

    text: str
    next_at: datetime
    blocks: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class PutOff:
    """Not now (snoozed, outside the rule's hours): look again at ``until``."""

    until: datetime
    why: str


@dataclass(frozen=True, slots=True)
class End:
    """No more reminders: ``why`` (released, deleted, the rule is gone...)."""

    why: str


Decision = Send | PutOff | End


def start_reminders(
    conn: sqlite3.Connection, starts: Iterable[ReminderStart], at: datetime
) -> None:
    """Open a reminder for each start that has none open (the hold goes on: its first
    reminder keeps its time); part of a poll's transaction."""
    when = iso(at)
    conn.executemany(
        "INSERT OR IGNORE INTO reminders (channel, ordernumber, subordernumber, rule,"
        " started_at, next_at, created_at, sent) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        [
            (s.channel, s.ordernumber, s.subordernumber, s.rule, when, iso(at + s.after), when)
            for s in starts
        ],
    )


def end_released(conn: sqlite3.Connection, subordernumbers: Iterable[str], at: datetime) -> None:
    """End the open reminders of these shipments that are no longer on hold (as the snapshot
    has them now): released, or deleted; part of a poll's transaction."""
    when = iso(at)
    for sub in sorted(set(subordernumbers)):
        row = conn.execute(
            "SELECT holdreasoncode, statuscode FROM snapshot WHERE subordernumber = ?", [sub]
        ).fetchone()
        if row is None:
            continue
        code, status = row
        if code == DELETED_HOLD or status == DELETED_STATUS:
            why = "the order was deleted"
        elif not code:
            why = "the hold was released"
        else:
            continue
        conn.execute(
            "UPDATE reminders SET ended_at = ?, ended_why = ?"
            " WHERE subordernumber = ? AND ended_at IS NULL",
            [when, why, sub],
        )


def end_reminders_of(
    conn: sqlite3.Connection, keys: Iterable[tuple[str, str, str]], why: str, at: datetime
) -> None:
    """End the open reminders of these (channel, rule, shipment)."""
    conn.executemany(
        "UPDATE reminders SET ended_at = ?, ended_why = ? WHERE channel = ? AND rule = ?"
        " AND subordernumber = ? AND ended_at IS NULL",
        [(iso(at), why, *key) for key in keys],
    )


def get_reminder(db: Database, id: int) -> Reminder | None:
    rows = list(dict_rows(db, "SELECT * FROM reminders WHERE id = ?", [id]))
    return Reminder._from(rows[0]) if rows else None


def open_reminders(db: Database) -> list[Reminder]:
    """Every reminder still running, soonest first."""
    return [
        Reminder._from(r)
        for r in dict_rows(
            db, "SELECT * FROM reminders WHERE ended_at IS NULL ORDER BY next_at, id"
        )
    ]


def due_reminders(db: Database, now: datetime, limit: int = 100) -> list[Reminder]:
    """Open reminders due at ``now``, soonest first."""
    return [
        Reminder._from(r)
        for r in dict_rows(
            db,
            "SELECT * FROM reminders WHERE ended_at IS NULL AND next_at <= ?"
            " ORDER BY next_at, id LIMIT ?",
            [iso(now), limit],
        )
    ]


def next_reminder_at(db: Database) -> datetime | None:
    """When the soonest open reminder is due."""
    row = db.execute("SELECT min(next_at) FROM reminders WHERE ended_at IS NULL").fetchone()
    return from_iso(row[0]) if row and row[0] else None


def step_reminder(
    db: Database, id: int, *, now: datetime, decide: Callable[[ReminderContext], Decision]
) -> Decision | None:
    """Decide a due reminder and carry the decision out, in one transaction: queue it in the
    outbox (a thread reply the channel sees too) and set when the next is due, put it off, or
    end it. None when the reminder ended (or is not due) meanwhile."""
    with immediate(db):
        reminder = get_reminder(db, id)
        if reminder is None or reminder.ended_at is not None or reminder.next_at > now:
            return None
        context = ReminderContext(
            reminder,
            get_snapshot_row(db, reminder.subordernumber),
            get_owner(db, reminder.ordernumber),
            get_card(db, reminder.channel, reminder.ordernumber),
        )
        decision = decide(context)
        if isinstance(decision, End):
            db.execute(
                "UPDATE reminders SET ended_at = ?, ended_why = ? WHERE id = ?",
                [iso(now), decision.why, id],
            )
        elif isinstance(decision, PutOff):
            db.execute("UPDATE reminders SET next_at = ? WHERE id = ?", [iso(decision.until), id])
        else:
            row: QueuedRow = message_row(
                at=now,
                rule=reminder.rule,
                channel=reminder.channel,
                kind=REMINDER,
                ordernumbers=[reminder.ordernumber],
                text=decision.text,
                blocks=decision.blocks,
                broadcast=True,
            )
            row["subordernumber"] = reminder.subordernumber
            insert_rows(db.conn, [row])
            db.execute(
                "UPDATE reminders SET next_at = ?, sent = sent + 1, last_sent_at = ? WHERE id = ?",
                [iso(decision.next_at), iso(now), id],
            )
    return decision
