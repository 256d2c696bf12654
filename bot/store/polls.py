"""The poll log and the events each poll derived.

``save_poll`` records a successful poll in ONE transaction: its ``polls`` row, the snapshot,
its events and the alerts it queued in the outbox; ``record_failed_poll`` records one that
could not read Ingram. ``/order status`` and ``/healthz`` read ``last_poll``.

Two polls must never diff against the same snapshot (each would queue the same alerts). A
poll reads what it diffs against with ``read_poll_basis``: the snapshot, the decision whether
it is a baseline, and the snapshot's generation (the id of the last successful poll), all in
one read transaction; ``save_poll`` checks that generation inside its write transaction and
raises ``StaleSnapshot`` when another poll was saved in between.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store import queueing, snapshot
from bot.store._sql import dict_rows, immediate, stored_text
from bot.store.lifecycle import PollEvent, after_poll
from bot.store.queueing import OutboxMessage
from bot.store.schema import StoreError
from bot.store.snapshot import SuborderState, load_snapshot


class StaleSnapshot(StoreError):
    """Another poll was saved after this one read the snapshot: its diff is out of date."""


class _Unchecked:
    """``save_poll`` without a generation to check (tests, benchmarks, one-off tools)."""


UNCHECKED = _Unchecked()


@dataclass(frozen=True)
class PollBasis:
    """What a poll diffs against, read at one moment: the snapshot, whether the poll is a
    baseline (an empty snapshot and no successful poll yet), and the snapshot's generation."""

    snapshot: dict[str, SuborderState]
    generation: int | None
    baseline: bool


def _generation(db: Database) -> int | None:
    row = db.execute("SELECT max(id) FROM polls WHERE ok = 1").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def read_poll_basis(db: Database) -> PollBasis:
    """The snapshot, the baseline decision and the generation, in one read transaction."""
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        generation = _generation(db)
        current = load_snapshot(db)
    finally:
        if own:
            conn.execute("COMMIT")
    # A baseline is the first successful poll of an empty database: it records, it posts
    # nothing. (A first poll that found no orders does not make the next one a baseline.)
    return PollBasis(current, generation, not current and generation is None)


@dataclass(frozen=True, slots=True)
class PollRow:
    """One poll, successful or not, as ``/order status`` reports it."""

    id: int
    started_at: datetime
    finished_at: datetime
    duration_s: float
    calls: int
    orders: int
    suborders: int
    events: int
    alerts: int
    ok: bool
    error: str | None
    baseline: bool

    @classmethod
    def _from(cls, r: dict[str, Any]) -> PollRow:
        return cls(
            r["id"],
            from_iso(r["started_at"]),
            from_iso(r["finished_at"]),
            float(r["duration_s"] or 0.0),
            r["calls"] or 0,
            r["orders"] or 0,
            r["suborders"] or 0,
            r["events"] or 0,
            r["alerts"] or 0,
            bool(r["ok"]),
            r["error"],
            bool(r["baseline"]),
        )


def save_poll(
    db: Database,
    *,
    started_at: datetime,
    finished_at: datetime,
    calls: int,
    orders: int,
    current: Sequence[SuborderState],
    events: Sequence[PollEvent],
    alerts: Sequence[OutboxMessage],
    prune_before: datetime | None,
    baseline: bool,
    now: datetime,
    expected_generation: int | _Unchecked | None = UNCHECKED,
) -> int:
    """Record a successful poll in ONE transaction and return its id.

    Upserts every shipment read (new ones inserted, known ones refreshed keeping
    ``first_seen``, ``hold_since`` maintained, ``last_seen`` set to ``now`` for all), deletes
    the shipments whose entry time is before ``prune_before`` (and those without one that no
    poll saw since then), records the events and queues the alerts in the outbox, due at
    ``now`` (or waiting, as their timing says), and does the hold lifecycle's part
    (``bot.store.lifecycle``). Either all of it is written or, if anything fails, none of it.

    ``expected_generation`` is the generation of the snapshot the poll diffed against
    (``read_poll_basis``): ``StaleSnapshot`` if another poll was saved since.
    """
    at = iso(now)
    # Serialize before the transaction opens, so a bad alert cannot leave it half done.
    event_rows = [
        (at, e.kind, e.ordernumber, e.subordernumber, json.dumps(e.fields())) for e in events
    ]
    outbox_rows = queueing.serialize(alerts, at)
    conn = db.conn
    with immediate(db):
        if not isinstance(expected_generation, _Unchecked):
            found = _generation(db)
            if found != expected_generation:
                raise StaleSnapshot(
                    f"another poll (#{found}) was saved after this one read the snapshot"
                )
        poll_id = conn.execute(
            "INSERT INTO polls (started_at, finished_at, duration_s, calls, orders, suborders,"
            " events, alerts, ok, error, baseline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, ?)",
            (
                iso(started_at),
                iso(finished_at),
                max(0.0, (finished_at - started_at).total_seconds()),
                calls,
                orders,
                len(current),
                len(events),
                len(alerts),
                int(baseline),
            ),
        ).lastrowid
        assert poll_id is not None
        snapshot.write_readings(conn, current, at)
        if prune_before is not None:
            snapshot.prune(conn, prune_before, at)
        conn.executemany(
            "INSERT INTO events (poll_id, at, event, ordernumber, subordernumber, fields)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ((poll_id, *row) for row in event_rows),
        )
        after_poll(db, poll_id=poll_id, at=now, events=events, rows=outbox_rows, baseline=baseline)
    return int(poll_id)


def record_failed_poll(
    db: Database, *, started_at: datetime, finished_at: datetime, calls: int, error: str
) -> int:
    """Record a poll that could not read Ingram (nothing else changes); returns its id."""
    with immediate(db):
        poll_id = db.conn.execute(
            "INSERT INTO polls (started_at, finished_at, duration_s, calls, orders, suborders,"
            " events, alerts, ok, error, baseline) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, ?, 0)",
            (
                iso(started_at),
                iso(finished_at),
                max(0.0, (finished_at - started_at).total_seconds()),
                calls,
                stored_text(error),
            ),
        ).lastrowid
    assert poll_id is not None
    return int(poll_id)


def last_poll(db: Database) -> PollRow | None:
    """The most recent poll, successful or not."""
    rows = list(dict_rows(db, "SELECT * FROM polls ORDER BY id DESC LIMIT 1"))
    return PollRow._from(rows[0]) if rows else None


def last_successful_poll(db: Database) -> PollRow | None:
    """The most recent poll that read Ingram."""
    rows = list(dict_rows(db, "SELECT * FROM polls WHERE ok = 1 ORDER BY id DESC LIMIT 1"))
    return PollRow._from(rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as a poll recorded it: the poll, when, and its fields."""

    poll_id: int
    at: datetime
    fields: dict[str, str]


def events_since(db: Database, since: datetime) -> list[StoredEvent]:
    """The events polls recorded at or after ``since``, in the order they were derived."""
    return [
        StoredEvent(row[0], from_iso(row[1]), json.loads(row[2]))
        for row in db.execute(
            "SELECT poll_id, at, fields FROM events WHERE at >= ? ORDER BY id", [iso(since)]
        )
    ]


def polls_since(db: Database, since: datetime) -> int:
    """How many polls read Ingram at or after ``since``."""
    row = db.execute(
        "SELECT count(*) FROM polls WHERE ok = 1 AND started_at >= ?", [iso(since)]
    ).fetchone()
    return int(row[0])


def events_of_poll(db: Database, poll_id: int) -> list[dict[str, str]]:
    """The fields of the events a poll recorded, in the order they were derived."""
    return [
        json.loads(row[0])
        for row in db.execute("SELECT fields FROM events WHERE poll_id = ? ORDER BY id", [poll_id])
    ]
