"""Retention: what the database forgets, so that its size levels off.

Older than the retention period (ORDERBOT_RETENTION_DAYS, 90 by default): delivered outbox
rows (and those that ended without a post: undone, superseded, merged, or dropped by an
operator), events, polls (but
never the latest one, nor the latest successful one, which the next poll's baseline decision
reads, nor one that a row still waiting or dead refers to), delete confirmations that were
used or have expired, and the hold lifecycle's rows that are over (``lifecycle``: ended
reminders, released order holds, old Refresh readings, and the cards of orders the snapshot no
longer holds). The audit trail has its own, longer
period (ORDERBOT_AUDIT_RETENTION_DAYS, 400 by default). Dead letters and messages still to
post are never pruned.

``prune_batch`` deletes at most ``batch`` rows of each table in one short transaction and
says how many it deleted; the caller repeats it until nothing is left, so the write lock is
never held for long (``bot.retention``). Deleted pages are reused by later writes, so the
file stops growing once a period's worth of data is in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.clock import iso
from bot.store._sql import immediate


@dataclass(frozen=True)
class Pruned:
    """How many rows one batch deleted, by table."""

    outbox: int = 0
    events: int = 0
    polls: int = 0
    confirmations: int = 0
    audit: int = 0
    lifecycle: int = 0

    @property
    def total(self) -> int:
        return (
            self.outbox
            + self.events
            + self.polls
            + self.confirmations
            + self.audit
            + self.lifecycle
        )


def prune_batch(db: Database, *, before: datetime, audit_before: datetime, batch: int) -> Pruned:
    """Delete up to ``batch`` rows of each table that are past retention (see the module)."""
    cut, audit_cut = iso(before), iso(audit_before)
    with immediate(db):
        outbox = _delete(
            db,
            "outbox",
            "(status = 'delivered' AND delivered_at < ?)"
            " OR (status IN ('undone', 'superseded', 'merged', 'dropped') AND created_at < ?)",
            [cut, cut],
            batch,
        )
        events = _delete(db, "events", "at < ?", [cut], batch)
        polls = _delete(
            db,
            "polls",
            "finished_at < ?"
            " AND id <> (SELECT max(id) FROM polls)"
            " AND id IS NOT (SELECT max(id) FROM polls WHERE ok = 1)"
            " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.poll_id = polls.id)"
            " AND NOT EXISTS (SELECT 1 FROM events WHERE events.poll_id = polls.id)",
            [cut],
            batch,
        )
        confirmations = _delete(
            db,
            "confirmations",
            "(used_at IS NOT NULL AND used_at < ?) OR expires_at < ?",
            [cut, cut],
            batch,
            key="rowid",
        )
        audit = _delete(db, "audit", "at < ?", [audit_cut], batch)
        lifecycle = (
            _delete(db, "reminders", "ended_at < ?", [cut], batch)
            + _delete(db, "order_holds", "released_at < ?", [cut], batch, key="rowid")
            + _delete(db, "readings", "read_at < ?", [cut], batch, key="rowid")
            + _delete(
                db,
                "cards",
                "posted_at < ? AND coalesce(updated_at, posted_at) < ? AND NOT EXISTS"
                " (SELECT 1 FROM snapshot WHERE snapshot.ordernumber = cards.ordernumber)",
                [cut, cut],
                batch,
                key="rowid",
            )
        )
    return Pruned(outbox, events, polls, confirmations, audit, lifecycle)


def _delete(
    db: Database, table: str, where: str, params: list[str], batch: int, *, key: str = "id"
) -> int:
    """Delete the oldest ``batch`` rows of ``table`` matching ``where``."""
    cursor = db.execute(
        f"DELETE FROM {table} WHERE {key} IN"  # noqa: S608 - table and clause are ours
        f" (SELECT {key} FROM {table} WHERE {where} ORDER BY {key} LIMIT ?)",
        [*params, batch],
    )
    return cursor.rowcount
