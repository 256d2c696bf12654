"""The outbox's "not yet" rows: alerts that wait for their rule's settle time or hours.

One mechanism for both: such a row is ``waiting``, ``waiting_for`` says why (``settle`` or
``hours``) and ``next_attempt_at`` until when. The writer's waiting job
(``bot.watch.waiting``) moves rows on when their time comes: a settled row becomes pending
(or waits for its hours, when they have not begun), and when hours begin the rows of one rule
and channel that waited for them go out, several as one digest (``merge``).

Settling (``undo_settled``, part of a poll's transaction): a single alert knows the shipment
and the field its event changed, and the value before (``undo_field``, ``undo_value``). When
a later poll finds that field back at that value while the alert still settles, the change
was undone: the alert, and every later one of that field of that shipment still settling,
become ``undone``, and so do the alerts of the undoing in every channel where none of the
undone change's alerts goes out. Nothing of it is posted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store._sql import dict_rows
from bot.store.outbox import HOURS, MERGED, OutboxRow
from bot.store.queueing import QueuedRow, insert_rows
from bot.store.reminders import end_reminders_of


@dataclass(frozen=True)
class Undone:
    """What settling kept quiet in one poll: rows made undone, and the poll's own alerts
    that were not queued for posting (the undoing)."""

    rows: int
    alerts: int


def undo_settled(
    db: Database,
    changes: Iterable[tuple[str, Mapping[str, str]]],
    queued: list[QueuedRow],
    at: datetime,
) -> Undone:
    """Undo the settling rows this poll's changes undo (see the module's docstring).

    ``changes`` are (shipment, the event's fields) of the poll; ``queued`` the poll's rows,
    of which the undoing ones are marked ``undone`` in place before they are inserted."""
    now = iso(at)
    conn = db.conn
    current: dict[str, dict[str, str]] = defaultdict(dict)
    for sub, fields in changes:
        current[sub].update(fields)
    undone_rows = 0
    quiet = 0
    for sub, values in current.items():
        settling = list(
            dict_rows(
                db,
                "SELECT id, channel, rule, event_id, undo_field, undo_value FROM outbox"
                " WHERE status = 'waiting' AND subordernumber = ? AND settle_until > ?"
                " ORDER BY id",
                [sub, now],
            )
        )
        for field in sorted({r["undo_field"] for r in settling if r["undo_field"]}):
            if field not in values:
                continue
            chain = [r for r in settling if r["undo_field"] == field]
            first = next(
                (i for i, r in enumerate(chain) if (r["undo_value"] or "") == values[field]),
                None,
            )
            if first is None:
                continue
            undone = chain[first:]
            conn.executemany(
                "UPDATE outbox SET status = 'undone', waiting_for = NULL WHERE id = ?",
                [(r["id"],) for r in undone],
            )
            end_reminders_of(
                conn, [(r["channel"], r["rule"], sub) for r in undone], "settling undid it", at
            )
            undone_rows += len(undone)
            events = sorted({r["event_id"] for r in undone if r["event_id"] is not None})
            marks = ", ".join("?" for _ in events)
            still = {
                row[0]
                for row in conn.execute(
                    f"SELECT DISTINCT channel FROM outbox WHERE event_id IN ({marks})"  # noqa: S608
                    " AND status <> 'undone'",
                    events,
                )
            }
            for row in queued:
                if (
                    row.get("subordernumber") == sub
                    and row.get("undo_field") == field
                    and row["channel"] not in still
                    and row["status"] != "undone"
                ):
                    row.update(status="undone", waiting_for=None)
                    quiet += 1
    return Undone(undone_rows, quiet)


def due_waiting(db: Database, now: datetime, limit: int = 500) -> list[OutboxRow]:
    """Waiting rows whose time has come, oldest first."""
    return [
        OutboxRow._from(r)
        for r in dict_rows(
            db,
            "SELECT * FROM outbox WHERE status = 'waiting' AND next_attempt_at <= ?"
            " ORDER BY id LIMIT ?",
            [iso(now), limit],
        )
    ]


def next_waiting_at(db: Database) -> datetime | None:
    """When the soonest waiting row's time comes."""
    row = db.execute("SELECT min(next_attempt_at) FROM outbox WHERE status = 'waiting'").fetchone()
    return from_iso(row[0]) if row and row[0] else None


def release(db: Database, ids: Iterable[int], at: datetime) -> int:
    """Waiting rows become pending, due at ``at``; how many did."""
    when = iso(at)
    cursor = db.conn.executemany(
        "UPDATE outbox SET status = 'pending', waiting_for = NULL, next_attempt_at = ?,"
        " released_at = ? WHERE id = ? AND status = 'waiting'",
        [(when, when, id) for id in ids],
    )
    return cursor.rowcount


def wait_for_hours(db: Database, id: int, until: datetime) -> bool:
    """A settled row that waits now for its rule's hours to begin at ``until``."""
    cursor = db.execute(
        "UPDATE outbox SET waiting_for = ?, next_attempt_at = ?"
        " WHERE id = ? AND status = 'waiting'",
        [HOURS, iso(until), id],
    )
    return cursor.rowcount == 1


def merge(db: Database, ids: Iterable[int], digest: QueuedRow) -> int:
    """Rows that waited for hours go out as one digest (``digest``, pending): they become
    ``merged`` into it. Returns the digest's id."""
    (digest_id,) = insert_rows(db.conn, [digest])
    db.conn.executemany(
        f"UPDATE outbox SET status = '{MERGED}', waiting_for = NULL, merged_into = ?"  # noqa: S608
        " WHERE id = ? AND status = 'waiting'",
        [(digest_id, id) for id in ids],
    )
    return digest_id


def event_fields(db: Database, event_ids: Iterable[int]) -> dict[int, str]:
    """The stored fields (JSON) of these events, by id (events pruned are missing)."""
    found: dict[int, str] = {}
    for id in event_ids:
        row = db.execute("SELECT fields FROM events WHERE id = ?", [id]).fetchone()
        if row:
            found[id] = row[0]
    return found
