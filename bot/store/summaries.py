"""When each summary last ran: its schedule's state, in the database, so that a restart
neither skips a summary nor posts one twice.

``claim_slot`` is the scheduler's one write for a summary due at ``slot``: in one transaction
it checks that the slot is later than the last one run, records it, and queues the summary's
pages in the outbox (none when nothing matched: the slot still counts as run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store._sql import immediate, optional_time
from bot.store.queueing import QueuedRow, insert_rows


@dataclass(frozen=True, slots=True)
class SummaryRun:
    """A summary's schedule state: the latest slot it ran (or was first seen) for."""

    name: str
    last_slot: datetime
    last_run_at: datetime | None
    last_outcome: str | None


def get_summary_run(db: Database, name: str) -> SummaryRun | None:
    row = db.execute(
        "SELECT last_slot, last_run_at, last_outcome FROM summary_runs WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        return None
    return SummaryRun(name, from_iso(row[0]), optional_time(row[1]), row[2])


def first_seen(db: Database, name: str, slot: datetime) -> bool:
    """A summary seen for the first time counts from its next slot: ``slot`` (the latest one
    already passed) is recorded as done. False if it was known already."""
    cursor = db.execute(
        "INSERT INTO summary_runs (name, last_slot) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        [name, iso(slot)],
    )
    return cursor.rowcount == 1


def claim_slot(
    db: Database,
    name: str,
    slot: datetime,
    *,
    now: datetime,
    pages: Sequence[QueuedRow],
    outcome: str,
) -> bool:
    """Record that summary ``name`` ran for ``slot`` and queue its ``pages``, in one
    transaction; False (nothing queued) when that slot, or a later one, ran already."""
    with immediate(db):
        known = get_summary_run(db, name)
        if known is not None and known.last_slot >= slot:
            return False
        db.execute(
            "INSERT INTO summary_runs (name, last_slot, last_run_at, last_outcome)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_slot = excluded.last_slot,"
            " last_run_at = excluded.last_run_at, last_outcome = excluded.last_outcome",
            [name, iso(slot), iso(now), outcome],
        )
        insert_rows(db.conn, pages)
    return True


def queue_pages(db: Database, pages: Sequence[QueuedRow]) -> list[int]:
    """Queue a summary's pages now, outside its schedule (``orderbot summary NAME``)."""
    with immediate(db):
        return insert_rows(db.conn, pages)
