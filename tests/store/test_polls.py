"""The poll transaction, on real database files: a baseline, the events and outbox rows of
a poll, all or nothing, and failed polls."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlite_utils import Database

from bot import store
from bot.store import (
    StaleSnapshot,
    due_outbox,
    get_snapshot_row,
    last_poll,
    last_successful_poll,
    load_snapshot,
    read_poll_basis,
    record_failed_poll,
    save_poll,
)
from bot.watch.changes import Event
from tests.store.helpers import T0, alert, poll, state


def test_baseline_poll_records_rows_and_poll(db: Database) -> None:
    poll_id = poll(
        db, [state("20-A-11", hold="C3", status="C"), state("20-B-11")], now=T0, baseline=True
    )
    snap = load_snapshot(db)
    assert set(snap) == {"20-A-11", "20-B-11"}
    assert snap["20-A-11"] == state("20-A-11", hold="C3", status="C")
    held = get_snapshot_row(db, "20-A-11")
    assert held is not None
    assert held.first_seen == held.last_seen == held.hold_since == T0
    assert get_snapshot_row(db, "20-B-11").hold_since is None
    row = last_poll(db)
    assert row is not None and row.id == poll_id
    assert (row.ok, row.baseline, row.suborders, row.orders, row.calls) == (True, True, 2, 2, 3)
    assert row.duration_s == pytest.approx(2.0)
    assert row.started_at == T0 - timedelta(seconds=2) and row.finished_at == T0


def test_events_and_outbox_rows_belong_to_the_poll(db: Database) -> None:
    poll(db, [state("20-A-11")], now=T0, baseline=True)
    cur = state("20-A-11", hold="C3")
    event = Event("hold_placed", cur, state("20-A-11"), "20-123456", "UK")
    t1 = T0 + timedelta(minutes=5)
    poll_id = poll(db, [cur], now=t1, events=[event], alerts=[alert("20-A")])
    assert store.events_of_poll(db, poll_id) == [event.fields()]
    (ev,) = db.query("SELECT * FROM events")
    assert (ev["poll_id"], ev["event"], ev["ordernumber"], ev["subordernumber"]) == (
        poll_id,
        "hold_placed",
        "20-A",
        "20-A-11",
    )
    (row,) = due_outbox(db, t1)
    assert (row.poll_id, row.rule, row.channel, row.kind, row.status) == (
        poll_id,
        "credit-holds",
        "#credit-alerts",
        "alert",
        "pending",
    )
    assert row.ordernumbers == ["20-A"] and row.blocks == alert("20-A").blocks
    assert (row.attempts, row.created_at, row.next_attempt_at) == (0, t1, t1)
    p = last_poll(db)
    assert (p.events, p.alerts, p.baseline) == (1, 1, False)


def test_save_poll_is_one_transaction(db: Database) -> None:
    poll(db, [state("20-A-11")], now=T0, baseline=True)
    before = (load_snapshot(db), db["polls"].count, db["events"].count)
    # A real failure at the very last step (queueing the alert) must undo everything.
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    cur = state("20-A-11", hold="C3")
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        poll(
            db,
            [cur, state("20-B-11")],
            now=T0 + timedelta(minutes=5),
            events=[Event("hold_placed", cur, state("20-A-11"))],
            alerts=[alert()],
            prune_before=T0 + timedelta(days=1),
        )
    assert (load_snapshot(db), db["polls"].count, db["events"].count) == before
    assert db["outbox"].count == 0
    assert get_snapshot_row(db, "20-A-11").last_seen == T0
    assert not db.conn.in_transaction


def test_failed_polls_and_last_successful(db: Database) -> None:
    assert last_poll(db) is None and last_successful_poll(db) is None
    ok_id = poll(db, [state("20-A-11")], now=T0, baseline=True)
    failed = record_failed_poll(
        db,
        started_at=T0 + timedelta(minutes=5),
        finished_at=T0 + timedelta(minutes=6),
        calls=4,
        error="Ingram is unavailable (HTTP 503)",
    )
    latest = last_poll(db)
    assert latest.id == failed and not latest.ok
    assert (latest.error, latest.calls, latest.duration_s) == (
        "Ingram is unavailable (HTTP 503)",
        4,
        60.0,
    )
    assert last_successful_poll(db).id == ok_id
    assert set(load_snapshot(db)) == {"20-A-11"}


def test_the_basis_of_a_poll_and_its_generation(db: Database) -> None:
    empty = read_poll_basis(db)
    assert (empty.snapshot, empty.generation, empty.baseline) == ({}, None, True)
    first = save_poll(
        db,
        started_at=T0,
        finished_at=T0,
        calls=1,
        orders=1,
        current=[state("20-A-11")],
        events=[],
        alerts=[],
        prune_before=None,
        baseline=True,
        now=T0,
        expected_generation=empty.generation,
    )
    basis = read_poll_basis(db)
    assert (list(basis.snapshot), basis.generation, basis.baseline) == (["20-A-11"], first, False)

    # Two polls read the same basis: the first to save wins, the second must diff again.
    arguments = dict(
        started_at=T0,
        finished_at=T0,
        calls=1,
        orders=1,
        current=[state("20-A-11", hold="C3")],
        events=[],
        alerts=[alert()],
        prune_before=None,
        baseline=False,
        now=T0 + timedelta(minutes=5),
    )
    save_poll(db, **arguments, expected_generation=basis.generation)
    with pytest.raises(StaleSnapshot, match="another poll"):
        save_poll(db, **arguments, expected_generation=basis.generation)
    assert db["outbox"].count == 1
    assert not db.conn.in_transaction
