"""AsyncStore: one worker thread owns the connection; a poll written and read through it."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.store import (
    AsyncStore,
    LeaseLost,
    StoreUnavailable,
    current_holds,
    due_outbox,
    get_meta,
    last_poll,
    save_poll,
    set_meta,
)
from tests.store.helpers import T0, alert, state


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


# --- faults ----------------------------------------------------------------------------------


async def test_a_failed_write_is_a_fault_logged_once_until_a_write_succeeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as s:
        assert s.created and s.fault is None
        pages = await s.run(lambda db: db.execute("PRAGMA page_count").fetchone()[0])
        # SQLite's own "database or disk is full", as on a full disk.
        await s.run(lambda db: db.execute(f"PRAGMA max_page_count = {pages}"))
        big = "x" * 100_000
        with caplog.at_level(logging.DEBUG, logger="orderbot.store"):
            for _ in range(3):
                with pytest.raises(StoreUnavailable, match="the disk is full"):
                    await s.write(set_meta, "big", big)
            assert s.fault is not None and s.fault.operation == "set_meta"
            assert "the disk is full (SQLITE_FULL)" in s.describe_fault()
            await s.run(lambda db: db.execute("PRAGMA max_page_count = 1000000"))
            await s.probe()
        assert s.fault is None
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "polling and delivering stop" in errors[0].getMessage()
        assert any("takes writes again" in r.getMessage() for r in caplog.records)
        assert all(r.exc_info is None for r in caplog.records)  # no traceback
        await s.write(set_meta, "big", big)
        assert await s.run(get_meta, "big") == big


async def test_a_deleted_or_replaced_file_stops_writes(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with await AsyncStore.open(path) as s:
        assert not (await AsyncStore.open(path)).created  # an existing database
        await s.write(set_meta, "k", "v")
        path.rename(tmp_path / "moved.db")
        with pytest.raises(StoreUnavailable, match="deleted while orderbot runs"):
            await s.write(set_meta, "k", "w")
        (tmp_path / "moved.db").rename(path)  # put back: the same file again
        await s.probe()
        assert s.fault is None
        other = tmp_path / "other.db"
        (await AsyncStore.open(other)).path  # noqa: B018 - a second database file
        os.replace(other, path)
        with pytest.raises(StoreUnavailable, match="replaced while orderbot runs"):
            await s.probe()
        assert "restart orderbot" in s.describe_fault()


async def test_a_bug_is_not_a_fault(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as s:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await s.write(lambda db: db.execute("SELECT * FROM no_such_table"))
        assert s.fault is None
        with pytest.raises(sqlite3.IntegrityError):
            await s.write(lambda db: db.execute("INSERT INTO meta (key) VALUES ('database_id')"))
        assert s.fault is None


async def test_write_runs_behind_the_fence(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as s:
        seen: list[bool] = []
        s.fence = lambda db: seen.append(db.conn.in_transaction)
        await s.write(set_meta, "k", "v")
        assert seen == [True]

        def refuse(db: object) -> None:
            raise LeaseLost("not the writer")

        s.fence = refuse
        with pytest.raises(LeaseLost):
            await s.write(set_meta, "k", "changed")
        assert await s.run(get_meta, "k") == "v"
        assert s.fault is None
