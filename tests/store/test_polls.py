"""The SQLite store, on real database files: migrations, the poll transaction, the outbox,
threads, confirmations (including concurrent claims), audit, meta and AsyncStore."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import store
from bot.clock import iso
from bot.store import (
    AsyncStore,
    ClaimResult,
    StoreError,
    SuborderState,
    audit_log,
    claim_confirmation,
    create_confirmation,
    current_holds,
    dead_letters,
    due_outbox,
    get_confirmation,
    get_meta,
    get_snapshot_row,
    get_thread,
    last_poll,
    last_successful_poll,
    load_snapshot,
    mark_dead,
    mark_delivered,
    mark_retry,
    open_db,
    outbox_stats,
    record_failed_poll,
    save_poll,
    set_meta,
    set_thread,
    write_audit,
)
from bot.store.schema import BUSY_TIMEOUT_MS, MIGRATIONS, migrate, schema_version
from bot.watch.alerts import NewAlert
from bot.watch.changes import Event

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_db(tmp_path / "orderbot.db")
    yield database
    database.close()


def state(sub: str, *, hold: str = "", status: str = "", entry: datetime = T0) -> SuborderState:
    return SuborderState(
        subordernumber=sub,
        ordernumber=sub.rsplit("-", 1)[0],
        customerordernumber="PO-" + sub,
        entrytimestamp=iso(entry) if entry else "",
        statuscode=status,
        status="",
        holdreasoncode=hold,
        holdreason="",
    )


def alert(order: str = "20-A", rule: str = "credit-holds") -> NewAlert:
    return NewAlert(
        rule=rule,
        channel="#credit-alerts",
        kind="alert",
        ordernumbers=[order],
        text=f"Credit hold on {order}",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": order}}],
    )


def poll(
    db: Database,
    current: list[SuborderState],
    *,
    now: datetime,
    events: list[Event] | None = None,
    alerts: list[NewAlert] | None = None,
    prune_before: datetime | None = None,
    baseline: bool = False,
) -> int:
    return save_poll(
        db,
        started_at=now - timedelta(seconds=2),
        finished_at=now,
        calls=3,
        orders=len({s.ordernumber for s in current}),
        current=current,
        events=events or [],
        alerts=alerts or [],
        prune_before=prune_before,
        baseline=baseline,
        now=now,
    )


# --- Opening and migrations ----------------------------------------------------------------


def test_open_db_creates_folder_wal_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.db"
    db = open_db(path)
    try:
        assert path.exists()
        assert db.journal_mode == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
        assert schema_version(db) == len(MIGRATIONS)
        assert {
            "snapshot",
            "events",
            "outbox",
            "threads",
            "polls",
            "confirmations",
            "audit",
            "meta",
        } <= set(db.table_names())
        assert any(i.columns == ["holdreasoncode"] for i in db["snapshot"].indexes)
    finally:
        db.close()


def test_open_db_twice_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = open_db(path)
    set_meta(db, "k", "v")
    schema = db.schema
    db.close()
    again = open_db(path)
    try:
        assert again.schema == schema
        assert get_meta(again, "k") == "v"
        assert migrate(again) == len(MIGRATIONS)
    finally:
        again.close()


def test_an_old_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    assert migrate(old, MIGRATIONS[:1]) == 1
    poll(old, [state("20-A-11", hold="C3")], now=T0, baseline=True)
    assert "confirmations" not in old.table_names()
    old.close()

    db = open_db(path)
    try:
        assert schema_version(db) == len(MIGRATIONS)
        assert "confirmations" in db.table_names() and "audit" in db.table_names()
        assert list(load_snapshot(db)) == ["20-A-11"]
    finally:
        db.close()


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    db = Database(sqlite3.connect(tmp_path / "x.db"))

    def broken(database: Database) -> None:
        database.create_table("half_done", {"id": int}, pk="id")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(db, [MIGRATIONS[0], broken])
    assert schema_version(db) == 1
    assert "half_done" not in db.table_names()
    assert "snapshot" in db.table_names()
    db.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer orderbot"):
        open_db(path)


# --- save_poll -------------------------------------------------------------------------------


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


def test_upsert_keeps_first_seen_and_maintains_hold_since(db: Database) -> None:
    t1, t2, t3, t4 = (T0 + timedelta(minutes=5 * i) for i in range(1, 5))
    poll(db, [state("20-A-11"), state("20-B-11", hold="C3")], now=T0, baseline=True)
    # A goes on hold; B keeps its hold.
    poll(db, [state("20-A-11", hold="SH"), state("20-B-11", hold="C3")], now=t1)
    a, b = get_snapshot_row(db, "20-A-11"), get_snapshot_row(db, "20-B-11")
    assert (a.first_seen, a.last_seen, a.hold_since, a.holdreasoncode) == (T0, t1, t1, "SH")
    assert (b.first_seen, b.last_seen, b.hold_since) == (T0, t1, T0)
    # B's hold code changes: its hold_since restarts. A's status changes, hold stays.
    poll(db, [state("20-A-11", hold="SH", status="S"), state("20-B-11", hold="C4")], now=t2)
    a, b = get_snapshot_row(db, "20-A-11"), get_snapshot_row(db, "20-B-11")
    assert (a.hold_since, a.statuscode) == (t1, "S")
    assert (b.hold_since, b.holdreasoncode) == (t2, "C4")
    # A is released; B is not read at all this time.
    poll(db, [state("20-A-11", status="R")], now=t3)
    a, b = get_snapshot_row(db, "20-A-11"), get_snapshot_row(db, "20-B-11")
    assert (a.hold_since, a.holdreasoncode, a.last_seen) == (None, "", t3)
    assert (b.last_seen, b.hold_since, b.first_seen) == (t2, t2, T0)
    # A on hold again: a new hold_since.
    poll(db, [state("20-A-11", hold="C3")], now=t4)
    assert get_snapshot_row(db, "20-A-11").hold_since == t4


def test_prune_deletes_old_unseen_rows_only(db: Database) -> None:
    old, recent = T0 - timedelta(days=40), T0 - timedelta(days=2)
    poll(
        db,
        [
            state("20-OLD-11", entry=old),
            state("20-OLDSEEN-11", entry=old),
            state("20-NEW-11", entry=recent),
            state("20-NODATE-11", entry=None),
        ],
        now=T0,
        baseline=True,
    )
    later = T0 + timedelta(minutes=5)
    poll(
        db, [state("20-OLDSEEN-11", entry=old)], now=later, prune_before=later - timedelta(days=30)
    )
    assert set(load_snapshot(db)) == {"20-OLDSEEN-11", "20-NEW-11"}


def test_no_prune_without_prune_before(db: Database) -> None:
    poll(db, [state("20-OLD-11", entry=T0 - timedelta(days=400))], now=T0, baseline=True)
    poll(db, [], now=T0 + timedelta(minutes=5), prune_before=None)
    assert set(load_snapshot(db)) == {"20-OLD-11"}


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


# --- current_holds ---------------------------------------------------------------------------


def test_current_holds_oldest_first_and_by_code(db: Database) -> None:
    poll(db, [state("20-A-11", hold="C3"), state("20-B-11")], now=T0, baseline=True)
    t1 = T0 + timedelta(minutes=5)
    poll(
        db,
        [state("20-A-11", hold="C3"), state("20-B-11", hold="SH"), state("20-C-11", hold="C3")],
        now=t1,
    )
    holds = current_holds(db)
    assert [h.subordernumber for h in holds] == ["20-A-11", "20-B-11", "20-C-11"]
    assert [h.hold_since for h in holds] == [T0, t1, t1]
    assert [h.subordernumber for h in current_holds(db, "C3")] == ["20-A-11", "20-C-11"]
    assert [h.subordernumber for h in current_holds(db, " sh ")] == ["20-B-11"]
    assert current_holds(db, "ZZ") == []
    assert current_holds(db, "") == []
    assert holds[0].hold_text == "Credit hold" and holds[0].entry_time == T0


# --- Outbox ----------------------------------------------------------------------------------


def test_outbox_lifecycle(db: Database) -> None:
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A"), alert("20-B"), alert("20-C")])
    a, b, c = due_outbox(db, T0)
    assert [r.ordernumbers for r in (a, b, c)] == [["20-A"], ["20-B"], ["20-C"]]
    assert due_outbox(db, T0 - timedelta(seconds=1)) == []
    assert len(due_outbox(db, T0, limit=2)) == 2

    # A is delivered, B fails and will be retried in 30 s, C is a dead letter.
    assert mark_delivered(db, a.id, slack_channel="C0123", ts="1700000000.000100", at=T0)
    assert mark_retry(db, b.id, error="HTTP 503", next_attempt_at=T0 + timedelta(seconds=30))
    assert mark_dead(db, c.id, error="channel_not_found")
    assert due_outbox(db, T0 + timedelta(seconds=29)) == []
    (again,) = due_outbox(db, T0 + timedelta(seconds=30))
    assert (again.id, again.attempts, again.last_error) == (b.id, 1, "HTTP 503")

    stats = outbox_stats(db, T0)
    assert (stats.pending, stats.oldest_pending_at, stats.dead, stats.due) == (1, T0, 1, 0)
    assert outbox_stats(db, T0 + timedelta(minutes=1)).due == 1
    (dead,) = dead_letters(db)
    assert (dead.id, dead.status, dead.last_error, dead.attempts) == (
        c.id,
        "dead",
        "channel_not_found",
        1,
    )
    delivered = store.get_outbox(db, a.id)
    assert (delivered.status, delivered.slack_channel, delivered.slack_ts) == (
        "delivered",
        "C0123",
        "1700000000.000100",
    )
    assert delivered.delivered_at == T0

    # Only pending messages change state.
    assert not mark_delivered(db, c.id, slack_channel="C1", ts="1", at=T0)
    assert not mark_retry(db, a.id, error="x", next_attempt_at=T0)
    assert not mark_dead(db, a.id, error="x")
    assert mark_delivered(db, b.id, slack_channel="C0123", ts="2", at=T0)
    empty = outbox_stats(db, T0)
    assert (empty.pending, empty.oldest_pending_at, empty.dead) == (0, None, 1)


# --- Threads ---------------------------------------------------------------------------------


def test_threads_first_one_wins(db: Database) -> None:
    assert get_thread(db, "#credit-alerts", "20-A") is None
    assert set_thread(db, "#credit-alerts", "20-A", "C0123", "111.1") == ("C0123", "111.1")
    assert set_thread(db, "#credit-alerts", "20-A", "C0123", "222.2") == ("C0123", "111.1")
    assert get_thread(db, "#credit-alerts", "20-A") == ("C0123", "111.1")
    assert get_thread(db, "#sales-alerts", "20-A") is None
    set_thread(db, "#sales-alerts", "20-A", "C0456", "333.3")
    assert get_thread(db, "#sales-alerts", "20-A") == ("C0456", "333.3")


# --- Confirmations ---------------------------------------------------------------------------


def confirm(db: Database, cid: str = "c1", *, user: str = "U1", minutes: int = 10) -> None:
    create_confirmation(
        db,
        id=cid,
        user_id=user,
        ordernumber="20-11852",
        entrydate=date(2025, 3, 1),
        channel_id="C0123",
        created_at=T0,
        expires_at=T0 + timedelta(minutes=minutes),
    )


def test_claim_once_by_the_right_user(db: Database) -> None:
    confirm(db)
    got = get_confirmation(db, "c1")
    assert (got.user_id, got.ordernumber, got.entrydate, got.used_at) == (
        "U1",
        "20-11852",
        date(2025, 3, 1),
        None,
    )
    now = T0 + timedelta(minutes=1)
    assert claim_confirmation(db, "c1", "U2", now) is ClaimResult.WRONG_USER
    assert get_confirmation(db, "c1").used_at is None  # a wrong user does not consume it
    assert claim_confirmation(db, "c1", "U1", now) is ClaimResult.CLAIMED
    assert claim_confirmation(db, "c1", "U1", now) is ClaimResult.ALREADY_USED
    assert claim_confirmation(db, "c1", "U2", now) is ClaimResult.WRONG_USER
    used = get_confirmation(db, "c1")
    assert (used.used_at, used.used_by) == (now, "U1")
    assert claim_confirmation(db, "nope", "U1", now) is ClaimResult.NOT_FOUND
    assert get_confirmation(db, "nope") is None


def test_an_expired_confirmation_is_not_consumed(db: Database) -> None:
    confirm(db)
    assert claim_confirmation(db, "c1", "U1", T0 + timedelta(minutes=10)) is ClaimResult.EXPIRED
    assert claim_confirmation(db, "c1", "U1", T0 + timedelta(hours=1)) is ClaimResult.EXPIRED
    assert get_confirmation(db, "c1").used_at is None
    # (A clock that went back would find it unused and still valid.)
    assert claim_confirmation(db, "c1", "U1", T0 + timedelta(minutes=9)) is ClaimResult.CLAIMED


def test_confirmation_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = open_db(path)
    confirm(db)
    db.close()
    db = open_db(path)
    try:
        assert claim_confirmation(db, "c1", "U1", T0) is ClaimResult.CLAIMED
    finally:
        db.close()
    db = open_db(path)
    try:
        assert claim_confirmation(db, "c1", "U1", T0) is ClaimResult.ALREADY_USED
    finally:
        db.close()


def test_concurrent_claims_from_many_connections_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    setup = open_db(path)
    confirm(setup)
    setup.close()
    workers = 12
    barrier = threading.Barrier(workers)
    results: list[ClaimResult] = []
    lock = threading.Lock()

    def claim(user: str) -> None:
        db = open_db(path)
        try:
            barrier.wait()
            result = claim_confirmation(db, "c1", user, T0 + timedelta(seconds=5))
            with lock:
                results.append(result)
        finally:
            db.close()

    users = ["U1"] * (workers - 2) + ["U2", "U3"]
    threads = [threading.Thread(target=claim, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results.count(ClaimResult.CLAIMED) == 1
    assert results.count(ClaimResult.ALREADY_USED) == workers - 3
    assert results.count(ClaimResult.WRONG_USER) == 2


async def test_concurrent_claims_through_async_store_one_wins(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as s:
        await s.run(confirm, "c9")
        results = await asyncio.gather(
            *(s.run(claim_confirmation, "c9", "U1", T0) for _ in range(20))
        )
    assert results.count(ClaimResult.CLAIMED) == 1
    assert results.count(ClaimResult.ALREADY_USED) == 19


# --- Audit and meta --------------------------------------------------------------------------


def test_audit_newest_first(db: Database) -> None:
    for i, outcome in enumerate(["refused", "deleted"]):
        write_audit(
            db,
            at=T0 + timedelta(minutes=i),
            user_id="U1",
            user_name="ana",
            action="delete",
            ordernumber="20-11852",
            outcome=outcome,
            message="" if i == 0 else "Order Deleted Successfully for OrderNumber",
        )
    log = audit_log(db)
    assert [r.outcome for r in log] == ["deleted", "refused"]
    assert (log[0].at, log[0].user_name, log[0].message) == (
        T0 + timedelta(minutes=1),
        "ana",
        "Order Deleted Successfully for OrderNumber",
    )
    assert len(audit_log(db, limit=1)) == 1


def test_meta(db: Database) -> None:
    assert get_meta(db, "windows_notice") is None
    assert get_meta(db, "windows_notice", "x") == "x"
    set_meta(db, "windows_notice", "closed")
    set_meta(db, "windows_notice", "open")
    assert get_meta(db, "windows_notice") == "open"


# --- AsyncStore ------------------------------------------------------------------------------


async def test_async_store_runs_on_one_thread_that_is_not_the_loops(tmp_path: Path) -> None:
    loop_thread = threading.get_ident()
    s = await AsyncStore.open(tmp_path / "a" / "bot.db")
    try:
        idents = await asyncio.gather(*(s.run(lambda db: threading.get_ident()) for _ in range(5)))
        assert len(set(idents)) == 1 and idents[0] != loop_thread
        # The connection was made on that thread: sqlite3 would refuse it anywhere else.
        await s.run(set_meta, "k", "v")
        assert await s.run(get_meta, "k") == "v"
        assert await s.run(lambda db, a, *, b: (a, b), 1, b=2) == (1, 2)
        with pytest.raises(ZeroDivisionError):
            await s.run(lambda db: 1 / 0)
        assert await s.run(get_meta, "k") == "v"  # still usable after an error
    finally:
        await s.close()
    assert s.closed
    await s.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await s.run(get_meta, "k")


async def test_async_store_poll_roundtrip(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as s:
        poll_id = await s.run(
            save_poll,
            started_at=T0,
            finished_at=T0,
            calls=1,
            orders=1,
            current=[state("20-A-11", hold="C3")],
            events=[],
            alerts=[alert()],
            prune_before=None,
            baseline=True,
            now=T0,
        )
        assert (await s.run(last_poll)).id == poll_id
        assert [h.subordernumber for h in await s.run(current_holds)] == ["20-A-11"]
        assert len(await s.run(due_outbox, T0)) == 1
