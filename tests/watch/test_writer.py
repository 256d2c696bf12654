"""The writer gate on a real database file: one holder of the lease, a standby that takes over
when the holder gives it up or stops renewing, and a database fault that closes the gate
until a write succeeds again."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.store import AsyncStore, LeaseHolder, LeaseLost, get_lease, set_meta
from bot.watch.writer import Writer
from tests.watch.test_poller import until


def alive_elsewhere(role: str = "serve") -> LeaseHolder:
    """A holder that looks like another live process of this host (our parent's pid)."""
    return replace(LeaseHolder.here(role), pid=os.getppid())


async def test_one_holder_and_a_standby_that_takes_over_when_it_is_given_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    async with await AsyncStore.open(path) as one, await AsyncStore.open(path) as two:
        first = Writer(one, alive_elsewhere(), ttl=30)
        second = Writer(two, LeaseHolder.here("serve"), ttl=30)
        await first.tick()
        with caplog.at_level(logging.INFO, logger="orderbot.writer"):
            await second.tick()
            await second.tick()  # said once, not at every check
        assert first.is_open() and not second.is_open()
        assert second.describe().startswith("standby: orderbot serve (pid")
        standby = [r.getMessage() for r in caplog.records if "neither polls" in r.getMessage()]
        assert len(standby) == 1 and str(path) in standby[0]
        with pytest.raises(LeaseLost):  # the standby's writes are fenced off
            await two.write(set_meta, "k", "v")

        await first.stop()  # gives the lease up
        assert await one.run(get_lease) is None
        await second.tick()
        assert second.is_open()
        assert "took the writer lease over from orderbot serve" in caplog.text
        await two.write(set_meta, "k", "v")
        await second.stop()


async def test_a_holder_that_stops_renewing_is_taken_over_and_fenced_off(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with await AsyncStore.open(path) as one, await AsyncStore.open(path) as two:
        stalled = Writer(one, alive_elsewhere(), ttl=0.5)
        await stalled.tick()
        waiting = Writer(two, LeaseHolder.here("serve"), ttl=0.5)
        await waiting.start()  # checks every 0.05 s
        await until(waiting.is_open, timeout=2)
        assert not stalled.is_open()  # its own trust ran out (0.35 s)
        with pytest.raises(LeaseLost, match="held by orderbot serve"):
            await one.write(set_meta, "k", "stale")
        await stalled.tick()
        assert not stalled.held and stalled.other is None
        await waiting.stop()


async def test_a_database_fault_closes_the_gate_until_a_write_succeeds(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as store:
        writer = Writer(store, LeaseHolder.here("serve"), ttl=30)
        await writer.start()
        assert writer.is_open()
        broken = {"now": True}
        fence = store.fence

        def failing(db: object) -> None:
            if broken["now"]:
                error = sqlite3.OperationalError("database or disk is full")
                error.sqlite_errorname = "SQLITE_FULL"
                raise error
            fence(db)

        store.fence = failing
        await writer.tick()
        assert not writer.is_open() and "the disk is full" in store.describe_fault()
        waiter = asyncio.create_task(writer.wait_open())
        await asyncio.sleep(0.3)
        assert not waiter.done()
        broken["now"] = False
        await asyncio.wait_for(waiter, 5)  # the loop's probe (backoff) reopened it
        assert writer.is_open() and store.fault is None
        await writer.stop()


async def test_without_a_lease_only_the_database_opens_the_gate(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as store:
        writer = Writer(store)
        assert writer.is_open() and writer.describe() == "the only writer (no lease)"
        await writer.wait_open()
