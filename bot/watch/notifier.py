"""The hold watcher's notifier: posts the outbox to Slack, exactly once, in order, paced.

The poller writes alerts to the outbox in the same transaction as the snapshot; the notifier
posts them with ``chat.postMessage`` and marks each one delivered only once Slack said ``ok``
(or once it found the post in the channel). How one row is delivered, and why it is posted
exactly once whatever fails, is in ``bot.watch.delivery``; how a post in doubt is looked
for, in ``bot.watch.readback``.

* Channels are delivered independently: each channel with work has a worker task of its
  own, so a slow or hung channel never delays another. Each post has an explicit, short
  timeout (``post_timeout``), after which the row is uncertain and looked for before it is
  posted again.
* Pacing: about one post per second per channel (a per-channel ``AsyncLimiter``), so a busy
  poll queues instead of collecting 429s.
* Order: each channel's messages go out in outbox order, and a message that must be retried
  holds back the later ones of its channel, so an order's first alert always comes first.
* Threads: later alerts about an order in a channel go into the thread of its first alert
  there; a digest becomes the thread of every order it lists that has none yet.
* Retries: a 429 waits ``Retry-After`` before that channel's next post; 5xx answers, answers
  that are not Slack's JSON and network errors back off exponentially (``backoff_base *
  2**attempts``, capped); a permanent error makes the message a dead letter, logged once per
  channel and error with what to do (``bot.watch.slack_answers``).
* One writer: nothing is posted unless ``writer`` is open (this process holds the writer
  lease and the database takes writes): a standby waits, and so does a process whose
  database cannot record a delivery.
* slack_sdk's own retry handlers are switched off for these posts (the notifier works on a
  copy of the client it is given): the default one re-sends after a dropped connection,
  which could post twice, and a rate-limit handler would hide 429s from the pacing here.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, utc_now
from bot.store import (
    AsyncStore,
    LeaseLost,
    StoreUnavailable,
    channel_queue,
    channels_with_work,
    outbox_stats,
)
from bot.tasks import finish
from bot.watch.delivery import DEAD, DELIVERED, RETRY, Delivery, PostObserver
from bot.watch.readback import ReadBack
from bot.watch.writer import Writer

log = logging.getLogger("orderbot.notifier")

#: Seconds a post may take before it counts as timed out (and uncertain).
POST_TIMEOUT = 10.0


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery pass (or a drain) did: messages posted, put back for a retry, made
    dead letters, and how many are still pending afterwards."""

    delivered: int
    retried: int
    dead: int
    pending: int


@dataclass
class _Tally:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def count(self, outcome: str) -> None:
        if outcome == DELIVERED:
            self.delivered += 1
        elif outcome == DEAD:
            self.dead += 1
        elif outcome == RETRY:
            self.retried += 1


def quiet_client(slack: AsyncWebClient, timeout: float) -> AsyncWebClient:
    """A copy of the client (same token, URL, session) with slack_sdk's retries turned off
    and an explicit timeout for each call."""
    quiet = copy.copy(slack)
    quiet.retry_handlers = []
    quiet.timeout = timeout  # type: ignore[assignment] - aiohttp takes seconds as a float
    return quiet


class Notifier:
    """Delivers the outbox: ``start``/``stop`` for the background workers, ``deliver_due`` for
    one pass, ``drain`` to deliver everything before exiting, ``wake`` after a poll.
    ``on_post`` is told of every post (``bot.watch.delivery.PostObserver``)."""

    def __init__(
        self,
        store: AsyncStore,
        slack: AsyncWebClient,
        *,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        writer: Writer | None = None,
        per_channel_interval: float = 1.0,
        idle_interval: float = 5.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        batch: int = 100,
        post_timeout: float = POST_TIMEOUT,
        on_post: PostObserver | None = None,
    ) -> None:
        self.store = store
        self.slack = quiet_client(slack, post_timeout)
        self.clock = clock
        self.monotonic = monotonic
        self.writer = writer or Writer(store, clock=clock, monotonic=monotonic)
        self.per_channel_interval = per_channel_interval
        self.idle_interval = idle_interval
        self.batch = batch
        self.delivery = Delivery(
            store,
            self.slack,
            clock=clock,
            monotonic=monotonic,
            post_timeout=post_timeout,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            on_post=on_post,
        )
        self._limiters: dict[str, AsyncLimiter] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._tally = _Tally()

    def __repr__(self) -> str:
        return f"<Notifier running={self.running} channels={len(self._workers)}>"

    @property
    def readback(self) -> ReadBack:
        """What reading posts back has cost (``calls``) and found (``found``)."""
        return self.delivery.readback

    # --- background ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the background loop is alive."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Something new is in the outbox: look now instead of at the next idle check."""
        self._wake.set()
        for event in self._wakes.values():
            event.set()

    def start(self) -> None:
        """Deliver in the background until ``stop``."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="orderbot-notifier")

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Let the posts in flight finish (up to ``timeout`` seconds), then end the workers.
        What is not posted stays in the outbox for the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.wake()
        await finish([task, *self._workers.values()], timeout)
        self._workers.clear()
        self._stopping = False

    async def _run(self) -> None:
        """Start a worker for every channel that has work; look again when woken."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.writer.wait_open()
                for channel in await self.store.run(channels_with_work):
                    worker = self._workers.get(channel)
                    if worker is None or worker.done():
                        self._workers[channel] = asyncio.create_task(
                            self._work(channel), name=f"orderbot-notifier {channel}"
                        )
            except (StoreUnavailable, LeaseLost):
                pass  # the writer's gate closes; wait_open waits for it
            except Exception:
                log.exception("the outbox delivery loop failed; trying again")
            if not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_interval)

    async def _work(self, channel: str) -> None:
        """Deliver one channel until its queue is empty (or the notifier stops)."""
        wake = self._wakes.setdefault(channel, asyncio.Event())
        while not self._stopping:
            wake.clear()
            try:
                wait = await self._channel_pass(channel, self._tally, None)
            except (StoreUnavailable, LeaseLost):
                wait = 0.0  # wait_open, in the next pass, waits for the gate
            except Exception:
                log.exception("delivering to %s failed; trying again", channel)
                wait = self.idle_interval
            if wait is None:
                return  # nothing left; the dispatcher starts a worker again for new work
            if wait > 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), min(wait, self.idle_interval))

    # --- passes ------------------------------------------------------------------------------

    async def deliver_due(self) -> DeliveryReport:
        """One pass over what is due now: every channel at once, each in outbox order."""
        tally = _Tally()
        await self.writer.wait_open()
        channels = await self.store.run(channels_with_work)
        await asyncio.gather(*(self._channel_pass(c, tally, None) for c in channels))
        stats = await self.store.run(outbox_stats, self.clock())
        return DeliveryReport(tally.delivered, tally.retried, tally.dead, stats.pending)

    async def drain(self, timeout: float = 30.0) -> DeliveryReport:  # noqa: ASYNC109
        """Deliver until nothing is pending, or until what is left cannot be posted within
        ``timeout`` seconds (a retry due later); for ``orderbot poll --once``."""
        deadline = self.monotonic() + timeout
        tally = _Tally()

        async def channel(name: str) -> None:
            while self.monotonic() < deadline:
                wait = await self._channel_pass(name, tally, deadline)
                if wait is None or self.monotonic() + wait >= deadline:
                    return
                await asyncio.sleep(wait)

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout + self.delivery.post_timeout + 2.0):
                await self.writer.wait_open()
                channels = await self.store.run(channels_with_work)
                await asyncio.gather(*(channel(c) for c in channels))
        stats = await self.store.run(outbox_stats, self.clock())
        return DeliveryReport(tally.delivered, tally.retried, tally.dead, stats.pending)

    async def _channel_pass(
        self, channel: str, tally: _Tally, deadline: float | None
    ) -> float | None:
        """Post what is due in one channel, in order; returns None when its queue is empty,
        else the seconds until its first message may go (0: go on at once)."""
        async with self._locks.setdefault(channel, asyncio.Lock()):
            rows = await self.store.run(channel_queue, channel, self.batch)
            if not rows:
                return None
            limiter = self._limiter(channel)
            for row in rows:
                if self._stopping or (deadline is not None and self.monotonic() >= deadline):
                    return 0.0
                wait = self.delivery.wait_for(row)
                if wait > 0:
                    return wait  # later messages of this channel wait for this one
                await self.writer.wait_open()
                await limiter.acquire()
                outcome = await self.delivery.deliver(row)
                tally.count(outcome)
                if outcome == RETRY:
                    return max(self.delivery.wait_for(row), 0.01)
            return 0.0

    def _limiter(self, channel: str) -> AsyncLimiter:
        limiter = self._limiters.get(channel)
        if limiter is None:
            limiter = self._limiters[channel] = AsyncLimiter(1, self.per_channel_interval)
        return limiter
