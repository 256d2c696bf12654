"""One writer per database: ``Writer`` says whether this process may poll and deliver now.

It may while (a) it holds the writer lease (``bot.store.lease``), when it takes part in one,
and (b) the database takes writes. The poller and the notifier wait on ``wait_open`` before
every poll and every post, so a second ``orderbot serve`` on the same database (a standby)
answers Slack commands but neither polls nor delivers, and a database that cannot record a
delivery stops delivery instead of letting posts repeat.

The lease is claimed and renewed in write transactions: the background loop renews it
every fifth of ``ttl`` (ORDERBOT_LEASE_SECONDS) and the store's fence renews it in every
write of the poller and the notifier. The recorded claim lasts 0.8 ``ttl``; a standby
checks every tenth of ``ttl``, so it takes over within ``ttl`` of the holder's death (at
once when the holder was a process of this host that no longer runs). The holder trusts its
own claim only for 0.7 ``ttl`` after its last renewal, on the monotonic clock, and the
notifier's post timeout is well inside that, so an old holder's post is over before a new
holder can look for it. While the database fails, the loop probes it with backoff (at most
a few seconds apart) and the gate opens again after the first write that succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlite_utils import Database

from bot.clock import Clock, utc_now
from bot.store import (
    AsyncStore,
    Lease,
    LeaseHolder,
    LeaseLost,
    StoreUnavailable,
    claim_lease,
    release_lease,
    renew_lease,
)
from bot.tasks import cancel

log = logging.getLogger("orderbot.writer")

#: Parts of the lease period: the recorded claim, the holder's own trust, renewal and check.
CLAIM, TRUST, RENEW, CHECK = 0.8, 0.7, 0.2, 0.1
#: Longest pause between two probes of a failing database.
PROBE_CAP = 3.0


class Writer:
    """The gate in front of polling and delivering; ``start`` runs its loop, ``stop`` ends
    it (and gives the lease up). Without a ``holder`` there is no lease: only the
    database's health opens and closes the gate."""

    def __init__(
        self,
        store: AsyncStore,
        holder: LeaseHolder | None = None,
        *,
        ttl: float = 30.0,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        announce: bool = True,
    ) -> None:
        self.store = store
        self.holder = holder
        #: Whether the log says when this process is a standby (``poll --once`` says it in
        #: its own words instead).
        self.announce = announce
        self.ttl = ttl
        self.clock = clock
        self.monotonic = monotonic
        #: The lease as last seen held by another process (None while ours, or unknown).
        self.other: Lease | None = None
        self._held = holder is None
        self._trusted_until = float("inf") if holder is None else 0.0
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._poke = asyncio.Event()
        self._failures = 0
        store.on_fault.append(self._poke.set)
        if holder is not None:
            store.fence = self._fence

    def __repr__(self) -> str:
        return f"<Writer held={self.held} open={self.is_open()}>"

    # --- the gate ------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        """True while this process holds the lease (always, without a lease)."""
        return self._held and self.monotonic() < self._trusted_until

    def is_open(self) -> bool:
        """May this process poll and deliver now?"""
        return self.held and self.store.fault is None

    async def wait_open(self) -> None:
        """Return once this process may poll and deliver."""
        pause = 0.05
        while not self.is_open():
            if self._task is None or self._task.done():  # nobody else probes: do it here
                await self.tick()
                if self.is_open():
                    return
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), pause)
            pause = min(pause * 2, 1.0)

    def describe(self) -> str:
        """Where this process stands, for ``/healthz`` and the log."""
        if self.holder is None:
            return "the only writer (no lease)"
        if self.held:
            return "holds the writer lease: this process polls and delivers"
        if self.other is not None:
            return (
                f"standby: {self.other.describe()} holds the writer lease (until"
                f" {self.other.expires_at.isoformat(timespec='seconds')}); this process answers"
                " Slack commands but neither polls nor delivers"
            )
        return "does not hold the writer lease yet"

    # --- the loop ------------------------------------------------------------------------

    async def start(self) -> None:
        """Try for the lease once now, then keep it (or wait for it) in the background."""
        await self.tick()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="orderbot-writer")

    async def stop(self, *, release: bool = True) -> None:
        """End the loop; give the lease up so that a standby takes over at once."""
        task, self._task = self._task, None
        if self._poke.set in self.store.on_fault:
            self.store.on_fault.remove(self._poke.set)
        await cancel(task)
        if release and self.holder is not None and self._held:
            self._held = False
            with contextlib.suppress(StoreUnavailable, OSError, RuntimeError):
                await self.store.run(release_lease, self.holder)
                log.info("gave the writer lease up")

    async def _run(self) -> None:
        while True:
            self._poke.clear()
            with contextlib.suppress(TimeoutError):  # a new fault pokes: probe it soon
                await asyncio.wait_for(self._poke.wait(), self._pause())
                await asyncio.sleep(self._pause())
            await self.tick()

    def _pause(self) -> float:
        if self.store.fault is not None:
            return min(PROBE_CAP, 0.25 * 2 ** min(self._failures, 8))
        if self.holder is None:
            return 1.0
        return self.ttl * (RENEW if self._held else CHECK)

    async def tick(self) -> None:
        """One step: renew the lease (or claim it, or probe the database)."""
        try:
            if self.holder is None:
                if self.store.fault is not None:
                    await self.store.probe()
            elif self._held:
                began = self.monotonic()
                await self.store.write(_nothing)  # the fence renews the lease
                self._trusted_until = began + TRUST * self.ttl
            else:
                await self._claim()
            self._failures = 0
        except LeaseLost as exc:
            self._lost(str(exc))
        except StoreUnavailable:
            self._failures += 1  # the store logged it
        finally:
            self._changed.set()

    async def _claim(self) -> None:
        assert self.holder is not None
        began = self.monotonic()
        lease = await self.store.write(self._claim_now, fenced=False)
        if lease.held_by(self.holder):
            self._held = True
            self._trusted_until = began + TRUST * self.ttl
            if self.other is not None:
                log.warning(
                    "took the writer lease over from %s: this process polls and delivers now",
                    self.other.describe(),
                )
            else:
                log.info("holds the writer lease: this process polls and delivers")
            self.other = None
            return
        if self.announce and (self.other is None or self.other.holder != lease.holder):
            log.warning(
                "%s holds the writer lease of %s: this process answers Slack commands but"
                " neither polls nor delivers, and takes over within %g s if it stops",
                lease.describe(),
                self.store.path,
                self.ttl,
            )
        self.other = lease

    def _claim_now(self, db: Database) -> Lease:
        assert self.holder is not None
        return claim_lease(db, self.holder, now=self.clock(), ttl=CLAIM * self.ttl)

    def _fence(self, db: Database) -> None:
        assert self.holder is not None
        renew_lease(db, self.holder, now=self.clock(), ttl=CLAIM * self.ttl)

    def _lost(self, why: str) -> None:
        if self._held:
            log.warning("lost the writer lease (%s): polling and delivering stop", why)
        self._held = False
        self._trusted_until = 0.0

    @property
    def expires_at(self) -> datetime | None:
        """When the lease another process holds runs out, as last seen."""
        return self.other.expires_at if self.other else None


def _nothing(db: Database) -> None:
    """A write transaction with nothing in it but the fence."""
