"""The retention task: the writer prunes in batches, through its fenced writes, and says what
it pruned in one line."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.retention import Retention
from bot.store import AsyncStore, LeaseHolder, LeaseLost, write_audit
from bot.watch.writer import Writer
from tests.store.helpers import T0


async def test_the_writer_prunes_in_batches_and_a_standby_cannot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(T0)
    async with await AsyncStore.open(tmp_path / "bot.db") as store:
        for day in range(30):
            await store.run(
                write_audit,
                at=T0 - timedelta(days=500 + day),
                user_id="U1",
                user_name="a",
                action="delete",
                ordernumber="20-1",
                outcome="ok",
            )
        writer = Writer(store, LeaseHolder.here("serve"), ttl=30, clock=clock)
        await writer.start()
        retention = Retention(store, writer, days=90, audit_days=400, clock=clock, batch=7)
        with caplog.at_level(logging.INFO, logger="orderbot.retention"):
            pruned = await retention.prune()
        assert pruned.audit == 30 and pruned.total == 30
        [said] = [r.getMessage() for r in caplog.records if r.name == "orderbot.retention"]
        assert "30 audit rows and 0 ended reminders, holds and cards older than 90 days" in said
        assert (await retention.prune()).total == 0

        await writer.stop()  # gave the lease up: the fence refuses
        with pytest.raises(LeaseLost):
            await retention.prune()
