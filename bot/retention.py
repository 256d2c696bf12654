"""Pruning the database in the background, by the process that holds the writer lease.

Shortly after start, and then every ``every`` seconds, ``Retention`` deletes what is past
retention (``bot.store.retention``) in batches of ``batch`` rows per table, one short
transaction each, with a pause between batches so that polls, deliveries and Slack commands
never wait on it for long. Only the writer prunes (its writes are fenced by the lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.clock import Clock, utc_now
from bot.store import AsyncStore, LeaseLost, StoreUnavailable
from bot.store.retention import Pruned, prune_batch
from bot.tasks import cancel
from bot.watch.writer import Writer

log = logging.getLogger("orderbot.retention")


class Retention:
    """Keeps ``days`` of history (``audit_days`` of the audit trail); ``start``/``stop``."""

    def __init__(
        self,
        store: AsyncStore,
        writer: Writer,
        *,
        days: int,
        audit_days: int,
        clock: Clock = utc_now,
        every: float = 3600.0,
        first_after: float = 60.0,
        batch: int = 500,
        pause: float = 0.05,
    ) -> None:
        self.store = store
        self.writer = writer
        self.days = days
        self.audit_days = audit_days
        self.clock = clock
        self.every = every
        self.first_after = first_after
        self.batch = batch
        self.pause = pause
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="orderbot-retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel(task)

    async def _run(self) -> None:
        await asyncio.sleep(self.first_after)
        while True:
            await self.writer.wait_open()
            with contextlib.suppress(StoreUnavailable, LeaseLost):  # the store logged it
                await self.prune()
            await asyncio.sleep(self.every)

    async def prune(self) -> Pruned:
        """Delete everything past retention now, batch by batch; returns the totals."""
        now = self.clock()
        before = now - timedelta(days=self.days)
        audit_before = now - timedelta(days=self.audit_days)
        totals = dict.fromkeys(
            ("outbox", "events", "polls", "confirmations", "audit", "lifecycle"), 0
        )
        while True:
            done = await self.store.write(
                prune_batch, before=before, audit_before=audit_before, batch=self.batch
            )
            for name in totals:
                totals[name] += getattr(done, name)
            if done.total == 0:
                break
            await asyncio.sleep(self.pause)
        pruned = Pruned(**totals)
        if pruned.total:
            log.info(
                "pruned %d delivered alerts, %d events, %d polls, %d confirmations, %d audit"
                " rows and %d ended reminders, holds and cards older than %d days (audit: %d"
                " days)",
                pruned.outbox,
                pruned.events,
                pruned.polls,
                pruned.confirmations,
                pruned.audit,
                pruned.lifecycle,
                self.days,
                self.audit_days,
            )
        return pruned
