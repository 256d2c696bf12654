"""The hold watcher's notifier: posts the outbox to Slack, reliably, in order, paced.

The poller writes alerts to the outbox in the same transaction as the snapshot; the notifier
posts them with ``chat.postMessage`` and marks each one delivered only once Slack said ``ok``.
So a Slack outage or a crash at any point loses nothing: a message stays pending until it is
posted. Each message is posted once in normal operation; the only way to a duplicate is a
crash (or a lost answer) between Slack accepting a post and the delivery being recorded.

* Pacing: about one post per second per channel (a per-channel ``AsyncLimiter``), so a busy
  poll queues instead of collecting 429s. Posts to different channels interleave.
* Order: each channel's messages go out in outbox order, and a message that must be retried
  holds back the later ones of its channel, so an order's first alert always comes first.
* Threads: later alerts about an order in a channel go into the thread of its first alert
  there; a digest becomes the thread of every order it lists that has none yet.
* Retries: a 429 waits ``Retry-After`` before that channel's next post; 5xx answers and
  network errors back off exponentially (``backoff_base * 2**attempts``, capped). A permanent
  error (``channel_not_found``, ``not_in_channel``, ``invalid_auth`` ...) makes the message a
  dead letter and is logged once per channel and error, saying what to do. Which answer is
  which, and the advice, are in ``bot.watch.slack_answers``; the outbox queries the
  delivery runs on are in ``bot.store.outbox``.
* slack_sdk's own retry handlers are switched off for these posts (the notifier works on a
  copy of the client it is given): the default one re-sends after a dropped connection,
  which could post twice, and a rate-limit handler would hide 429s from the pacing here.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, utc_now
from bot.headers import retry_after_seconds
from bot.store import (
    AsyncStore,
    OutboxRow,
    due_in_channel_order,
    get_thread,
    mark_dead,
    mark_retry,
    next_due_at,
    outbox_stats,
    record_delivery,
)
from bot.watch.alerts import ALERT
from bot.watch.slack_answers import (
    advice,
    error_of,
    is_rate_limit,
    is_transient,
    network_error,
    refusal_key,
)

log = logging.getLogger("orderbot.notifier")


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


# --- the notifier ---------------------------------------------------------------------------


def _without_retries(slack: AsyncWebClient) -> AsyncWebClient:
    """A copy of the client (same token, URL, session) with slack_sdk's retries turned off."""
    quiet = copy.copy(slack)
    quiet.retry_handlers = []
    return quiet


class Notifier:
    """Delivers the outbox: ``start``/``stop`` for the background loop, ``deliver_due`` for
    one pass, ``drain`` to deliver everything before exiting, ``wake`` after a poll."""

    def __init__(
        self,
        store: AsyncStore,
        slack: AsyncWebClient,
        *,
        clock: Clock = utc_now,
        per_channel_interval: float = 1.0,
        idle_interval: float = 5.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        batch: int = 100,
    ) -> None:
        self.store = store
        self.slack = _without_retries(slack)
        self.clock = clock
        self.per_channel_interval = per_channel_interval
        self.idle_interval = idle_interval
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.batch = batch
        self._limiters: dict[str, AsyncLimiter] = {}
        self._wake = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._told: set[tuple[str, str]] = set()  # (error, channel) logged as dead letters
        self._trouble = False  # Slack failing transiently since the last successful post

    def __repr__(self) -> str:
        return f"<Notifier running={self.running} channels={len(self._limiters)}>"

    # --- background loop -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the background loop is alive."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Something new is in the outbox: look now instead of at the next idle check."""
        self._wake.set()

    def start(self) -> None:
        """Deliver in the background until ``stop``."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="orderbot-notifier")

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Finish the post in flight (up to ``timeout`` seconds), then end the loop. What is
        not posted stays in the outbox for the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            self._stopping = False

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            wait = self.idle_interval
            try:
                _tally, more = await self._pass(None)
                if self._stopping:
                    break
                wait = 0.0 if more else await self._idle_wait()
            except Exception:
                log.exception("the outbox delivery pass failed; trying again in %g s", wait)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def _idle_wait(self) -> float:
        """Seconds until the next pending message is due, at most ``idle_interval``."""
        due = await self.store.run(next_due_at)
        if due is None:
            return self.idle_interval
        return min(self.idle_interval, max(0.05, (due - self.clock()).total_seconds()))

    # --- passes ------------------------------------------------------------------------------

    async def deliver_due(self) -> DeliveryReport:
        """One pass over what is due now: each channel in outbox order, paced."""
        tally, _more = await self._pass(None)
        stats = await self.store.run(outbox_stats, self.clock())
        return DeliveryReport(tally.delivered, tally.retried, tally.dead, stats.pending)

    async def drain(self, timeout: float = 30.0) -> DeliveryReport:  # noqa: ASYNC109
        """Deliver until nothing is pending, or until what is left cannot be posted within
        ``timeout`` seconds (a retry due later); for ``orderbot poll --once``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        total = _Tally()
        while True:
            tally, more = await self._pass(deadline)
            total.delivered += tally.delivered
            total.retried += tally.retried
            total.dead += tally.dead
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            if more:
                continue
            due = await self.store.run(next_due_at)
            if due is None:
                break
            wait = (due - self.clock()).total_seconds()
            if wait > remaining:
                break
            progressed = tally.delivered or tally.retried or tally.dead
            await asyncio.sleep(max(wait, 0.0 if progressed else 0.05))
        stats = await self.store.run(outbox_stats, self.clock())
        return DeliveryReport(total.delivered, total.retried, total.dead, stats.pending)

    async def _pass(self, deadline: float | None) -> tuple[_Tally, bool]:
        """Post what is due (one batch); returns the tally and whether a full batch was
        taken (more may be due)."""
        async with self._pass_lock:
            rows = await self.store.run(due_in_channel_order, self.clock(), self.batch)
            by_channel: dict[str, list[OutboxRow]] = {}
            for row in rows:
                by_channel.setdefault(row.channel, []).append(row)
            tally = _Tally()
            await asyncio.gather(
                *(
                    self._deliver_channel(ch, queue, tally, deadline)
                    for ch, queue in by_channel.items()
                )
            )
            return tally, len(rows) >= self.batch

    def _limiter(self, channel: str) -> AsyncLimiter:
        limiter = self._limiters.get(channel)
        if limiter is None:
            limiter = self._limiters[channel] = AsyncLimiter(1, self.per_channel_interval)
        return limiter

    async def _deliver_channel(
        self, channel: str, queue: list[OutboxRow], tally: _Tally, deadline: float | None
    ) -> None:
        """Post one channel's messages in order; stop at the first that must be retried."""
        loop = asyncio.get_running_loop()
        limiter = self._limiter(channel)
        for row in queue:
            if self._stopping or (deadline is not None and loop.time() >= deadline):
                return
            await limiter.acquire()
            if self._stopping:
                return
            outcome = await self._post(row)
            if outcome == "delivered":
                tally.delivered += 1
            elif outcome == "dead":
                tally.dead += 1
            else:
                tally.retried += 1
                return  # later messages of this channel wait for this one

    async def _post(self, row: OutboxRow) -> str:
        """Post one message and record the outcome: "delivered", "retry" or "dead"."""
        thread = None
        if row.kind == ALERT and len(row.ordernumbers) == 1:
            thread = await self.store.run(get_thread, row.channel, row.ordernumbers[0])
        args: dict[str, Any] = {
            "channel": thread[0] if thread else row.channel,
            "text": row.text,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if row.blocks:
            args["blocks"] = row.blocks
        if thread:
            args["thread_ts"] = thread[1]
        try:
            response = await self.slack.chat_postMessage(**args)
        except SlackApiError as exc:
            return await self._failed(row, *error_of(exc))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return await self._retry(row, network_error(exc), None)
        except SlackClientError as exc:  # the request could not be made (not sent)
            return await self._dead(row, type(exc).__name__, str(exc)[:200])
        slack_channel = str(response.get("channel") or args["channel"])
        ts = str(response.get("ts") or "")
        await self.store.run(
            record_delivery,
            row,
            slack_channel=slack_channel,
            ts=ts,
            at=self.clock(),
            start_threads=thread is None,
        )
        if self._trouble:
            log.info("Slack is taking alerts again")
            self._trouble = False
        log.debug(
            "posted outbox #%d (%s, rule %s) to %s%s",
            row.id,
            row.kind,
            row.rule,
            row.channel,
            " in a thread" if thread else "",
        )
        return "delivered"

    async def _failed(
        self, row: OutboxRow, status: int, error: str, headers: Mapping[str, Any]
    ) -> str:
        if is_rate_limit(status, error):
            wait = retry_after_seconds(headers, self.clock())
            return await self._retry(row, f"ratelimited (HTTP {status})", wait if wait else 1.0)
        if is_transient(status, error):
            return await self._retry(row, f"{error} (HTTP {status})", None)
        return await self._dead(row, error, "")

    async def _retry(self, row: OutboxRow, error: str, after: float | None) -> str:
        """Put a message back: after ``after`` seconds (429) or with exponential backoff."""
        if after is None:
            delay = min(self.backoff_cap, self.backoff_base * (2**row.attempts))
        else:
            delay = max(after, 0.0)
        when = self.clock() + timedelta(seconds=delay)
        await self.store.run(mark_retry, row.id, error=error, next_attempt_at=when)
        if after is not None:
            log.info(
                "Slack rate limit on %s: waiting %.1f s before posting there again (outbox #%d)",
                row.channel,
                delay,
                row.id,
            )
        elif not self._trouble:
            self._trouble = True
            log.warning(
                "Slack could not take outbox #%d for %s (%s); it stays in the outbox and is"
                " retried with backoff, starting in %.0f s",
                row.id,
                row.channel,
                error,
                delay,
            )
        else:
            log.debug("outbox #%d for %s: %s; retry in %.0f s", row.id, row.channel, error, delay)
        return "retry"

    async def _dead(self, row: OutboxRow, error: str, detail: str) -> str:
        """Give up on a message: it becomes a dead letter, and the log says so once."""
        await self.store.run(mark_dead, row.id, error=error if not detail else f"{error}: {detail}")
        key = refusal_key(error, row.channel)
        if key in self._told:
            log.debug("outbox #%d for %s is a dead letter too (%s)", row.id, row.channel, error)
            return "dead"
        self._told.add(key)
        log.error(
            "Slack refused to post outbox #%d (rule %s) to %s: %s%s. It is kept as a dead"
            " letter (see /order status). To fix: %s. Later refusals of this kind are not"
            " logged again.",
            row.id,
            row.rule,
            row.channel,
            error,
            f" ({detail})" if detail else "",
            advice(error, channel=row.channel, rule=row.rule),
        )
        return "dead"
