"""Delete confirmations (single use, the right user, expiry, concurrent claims from many
connections and through AsyncStore) and the audit trail."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from bot.log import MASK, add_secrets
from bot.store import (
    AsyncStore,
    ClaimResult,
    audit_log,
    claim_confirmation,
    confirmation_state,
    create_confirmation,
    get_confirmation,
    last_deletion,
    open_db,
    write_audit,
)
from bot.store._sql import MAX_STORED_TEXT
from tests.store.helpers import T0


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


def test_audit_messages_are_stored_without_secrets_and_kept_short(db: Database) -> None:
    add_secrets(["audit-test-secret-77"])
    write_audit(
        db,
        at=T0,
        user_id="U1",
        user_name="ana",
        action="delete_confirm",
        ordernumber="20-11852",
        outcome="error",
        message="upstream said client_secret=audit-test-secret-77 " + "x" * 5000,
    )
    (row,) = audit_log(db)
    assert "audit-test-secret-77" not in row.message and MASK in row.message
    assert len(row.message) == MAX_STORED_TEXT and row.message.endswith("…")


def test_a_newer_confirmation_supersedes_the_unused_ones_for_its_order(db: Database) -> None:
    confirm(db, "c1")
    confirm(db, "c2", user="U2")
    now = T0 + timedelta(minutes=1)
    assert claim_confirmation(db, "c2", "U2", now) is ClaimResult.CLAIMED  # c2 used
    confirm(db, "c3")
    assert get_confirmation(db, "c1").superseded_by == "c2"  # superseded once, by the next
    assert get_confirmation(db, "c2").superseded_by is None  # a used one stays as it was
    assert claim_confirmation(db, "c1", "U1", now) is ClaimResult.SUPERSEDED
    assert get_confirmation(db, "c1").used_at is None
    assert claim_confirmation(db, "c3", "U1", now) is ClaimResult.CLAIMED
    assert confirmation_state(get_confirmation(db, "c1"), "U2", now) is ClaimResult.WRONG_USER


def test_another_orders_confirmation_is_left_alone(db: Database) -> None:
    confirm(db, "c1")
    create_confirmation(
        db,
        id="other",
        user_id="U1",
        ordernumber="20-99999",
        entrydate=date(2025, 3, 1),
        channel_id=None,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=10),
    )
    assert claim_confirmation(db, "c1", "U1", T0) is ClaimResult.CLAIMED


def test_the_last_deletion_of_an_order_through_orderbot(db: Database) -> None:
    def audit(outcome: str, user: str, minutes: int, action: str = "delete_confirm") -> None:
        write_audit(
            db,
            at=T0 + timedelta(minutes=minutes),
            user_id=user,
            user_name="",
            action=action,
            ordernumber="20-11852",
            outcome=outcome,
        )

    assert last_deletion(db, "20-11852") is None
    audit("failed", "U1", 1)
    audit("refused_expired", "U1", 2)
    audit("deleted", "U2", 3, action="delete_request")
    assert last_deletion(db, "20-11852") is None
    audit("deleted", "U3", 4)
    found = last_deletion(db, "20-11852")
    assert found is not None and (found.user_id, found.at) == ("U3", T0 + timedelta(minutes=4))
    assert last_deletion(db, "20-OTHER") is None
