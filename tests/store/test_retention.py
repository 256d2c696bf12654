"""Retention on a real database file: what is pruned and what never is, in small batches, and
a soak whose file size levels off."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from bot.store import (
    AsyncStore,
    begin_attempt,
    create_confirmation,
    due_outbox,
    last_poll,
    last_successful_poll,
    mark_dead,
    mark_delivered,
    open_db,
    read_poll_basis,
    record_failed_poll,
    write_audit,
)
from bot.store.retention import prune_batch
from tests.store.helpers import T0, alert, poll, state

DAY = timedelta(days=1)


def audit(db: Database, when: object) -> None:
    write_audit(
        db, at=when, user_id="U1", user_name="a", action="delete", ordernumber="20-1", outcome="ok"
    )


def confirmation(db: Database, cid: str, created: object, *, used: bool = False) -> None:
    create_confirmation(
        db,
        id=cid,
        user_id="U1",
        ordernumber="20-1",
        entrydate=date(2025, 1, 1),
        channel_id="C1",
        created_at=created,
        expires_at=created + timedelta(minutes=10),
    )
    if used:
        db.execute("UPDATE confirmations SET used_at = ? WHERE id = ?", [str(created), cid])


def deliver_all(db: Database, now: object) -> None:
    for row in due_outbox(db, now + DAY, limit=1000):
        begin_attempt(db, row.id, at=now, target_channel=row.channel, target_thread_ts=None)
        mark_delivered(db, row.id, slack_channel="C1", ts="1.1", at=now)


def test_what_is_pruned_and_what_is_kept(db: Database) -> None:
    old = T0 - 100 * DAY
    poll(db, [state("20-A-11")], now=old, baseline=True, alerts=[alert("20-A")])
    deliver_all(db, old)
    poll(db, [state("20-A-11")], now=old + DAY, alerts=[alert("20-B"), alert("20-C")])
    dead, waiting = due_outbox(db, old + 2 * DAY)
    mark_dead(db, dead.id, error="channel_not_found")  # dead letters stay
    # ``waiting`` stays pending: never pruned, nor is the poll it came from.
    record_failed_poll(db, started_at=old, finished_at=old + 2 * DAY, calls=1, error="x")
    confirmation(db, "used-old", old, used=True)
    confirmation(db, "expired-old", old)
    confirmation(db, "fresh", T0)
    audit(db, T0 - 300 * DAY)
    audit(db, T0 - 500 * DAY)
    last_ok_before = last_successful_poll(db).id

    before, audit_before = T0 - 90 * DAY, T0 - 400 * DAY
    first = prune_batch(db, before=before, audit_before=audit_before, batch=1)
    assert first.outbox == 1 and first.confirmations == 1 and first.audit == 1
    while prune_batch(db, before=before, audit_before=audit_before, batch=1).total:
        pass
    statuses = sorted(r[0] for r in db.execute("SELECT status FROM outbox"))
    assert statuses == ["dead", "pending"]
    assert [r[0] for r in db.execute("SELECT id FROM confirmations")] == ["fresh"]
    assert db["audit"].count == 1
    # The latest poll, the latest successful one and the one rows still refer to stay; so
    # the next poll is not mistaken for a baseline.
    assert last_poll(db).ok is False and last_successful_poll(db).id == last_ok_before
    assert read_poll_basis(db).baseline is False
    assert db.execute("SELECT count(*) FROM polls WHERE id = ?", [waiting.poll_id]).fetchone()[0]


async def test_a_soak_levels_off(tmp_path: Path) -> None:
    path = tmp_path / "soak.db"
    db = open_db(path)
    sizes = []
    try:
        for day in range(120):
            now = T0 + day * DAY
            rows = [state(f"20-S{i}-11", hold="C3" if (i + day) % 3 else "") for i in range(40)]
            for hour in range(4):
                poll(db, rows, now=now + hour * timedelta(hours=1), alerts=[alert("20-S")] * 10)
                deliver_all(db, now + hour * timedelta(hours=1))
            for i in range(5):
                audit(db, now)
                confirmation(db, f"c{day}-{i}", now, used=i % 2 == 0)
            while prune_batch(
                db, before=now - 30 * DAY, audit_before=now - 60 * DAY, batch=200
            ).total:
                pass
            sizes.append(db.execute("PRAGMA page_count").fetchone()[0])
    finally:
        db.close()
    # Once 60 days (the audit's retention) have passed, the file does not grow any more.
    assert max(sizes[70:]) <= sizes[69] * 1.05, sizes[::10]
    async with await AsyncStore.open(path) as store:
        assert not store.created
