"""Delivering one outbox row to Slack, exactly once: ``Delivery.deliver``.

1. A row that may be in Slack already (uncertain, see ``bot.store.outbox``) is looked for
   first (``bot.watch.readback``); found, it is recorded as delivered and not posted.
2. ``begin_attempt`` is committed (the row is ``sending``, with the attempt's time and
   target) BEFORE the HTTP call.
3. ``chat.postMessage`` with the row's metadata and an explicit, short timeout.
4. The outcome is recorded: delivered (and the thread and channel ID learned), retry
   (after ``Retry-After`` for a 429, else exponential backoff; uncertain when Slack's answer
   never came or was not Slack's JSON), or dead (Slack refused it for good).

When the database cannot record an outcome, the outcome is kept in memory and written
first when it can be again: the post is never repeated because its delivery could not be
recorded. Retry times are deadlines on the monotonic clock; the wall-clock time written to
the row serves a restart only (and is then taken as at most ``backoff_cap`` away), so a
wall-clock step neither parks a row nor fires it early.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.headers import retry_after_seconds
from bot.store import (
    AsyncStore,
    OutboxRow,
    begin_attempt,
    get_meta,
    mark_dead,
    mark_retry,
    record_delivery,
)
from bot.store.card_posts import record_card_post, record_thread_alert, supersede
from bot.store.outbox import CARD_UPDATE
from bot.watch.card_updates import update_card
from bot.watch.readback import Absent, CannotLook, Found, ReadBack, TryLater, metadata
from bot.watch.slack_answers import (
    advice,
    error_label,
    error_of,
    is_rate_limit,
    is_slack_json,
    is_transient,
    network_error,
    not_json_error,
    reached_slack_unseen,
    refusal_key,
)
from bot.watch.targets import Skip, Update, plan_row

log = logging.getLogger("orderbot.notifier")

#: What became of a row: posted (or found posted), put back for a retry, a dead letter, or
#: nothing to do (delivered or dead already, by an earlier holder of the lease).
DELIVERED, RETRY, DEAD, GONE = "delivered", "retry", "dead", "gone"

#: The Slack method a post calls (``bot.watch.card_updates`` calls chat.update).
POST = "chat.postMessage"
#: A write of an outcome that could not be recorded yet: (function, keyword arguments).
_Write = tuple[Callable[..., Any], dict[str, Any]]

#: Told of every post: the Slack method, the seconds it took, and what went wrong (None
#: when Slack took it; else Slack's error code or ``timeout``, ``not_slack_json`` ...).
PostObserver = Callable[[str, float, str | None], None]


class Delivery:
    """Posts rows and records what happened; shared by every channel of one notifier."""

    def __init__(
        self,
        store: AsyncStore,
        slack: AsyncWebClient,
        *,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        post_timeout: float,
        backoff_base: float,
        backoff_cap: float,
        on_post: PostObserver | None = None,
    ) -> None:
        self.store = store
        self.slack = slack
        self.on_post = on_post
        self.clock = clock
        self.monotonic = monotonic
        self.post_timeout = post_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.readback = ReadBack(slack, store)
        self._database: str | None = None
        self._in_flight: set[int] = set()
        self._unrecorded: dict[int, _Write] = {}
        self._not_before: dict[int, float] = {}
        self._told: set[tuple[str, str]] = set()  # (error, channel) logged as dead letters
        self._trouble = False  # Slack failing transiently since the last successful post

    # --- when ----------------------------------------------------------------------------

    def wait_for(self, row: OutboxRow) -> float:
        """Seconds until ``row`` may be attempted (0: now), on the monotonic clock."""
        now = self.monotonic()
        at = self._not_before.get(row.id)
        if at is None:
            remaining = (row.next_attempt_at - self.clock()).total_seconds()
            if remaining <= 0:
                return 0.0
            # A retry time from another process (or before a restart): wall-clock, so it is
            # taken once, and as at most one backoff cap away.
            at = self._not_before[row.id] = now + min(remaining, max(self.backoff_cap, 60.0))
        return max(0.0, at - now)

    # --- one row -------------------------------------------------------------------------

    async def deliver(self, row: OutboxRow) -> str:
        """Deliver one row (see the module's docstring): "delivered", "retry" or "dead".
        Raises ``StoreUnavailable``/``LeaseLost`` when the database cannot be written."""
        if row.id in self._unrecorded:  # an outcome the database could not take before
            fn, kwargs = self._unrecorded[row.id]
            await self.store.write(fn, **kwargs)
            del self._unrecorded[row.id]
            if fn is mark_retry:
                return RETRY
            self._forget(row.id)
            return DEAD if fn is mark_dead else DELIVERED
        since = row.may_be_in_slack_since()
        if since is not None and row.id not in self._in_flight and row.kind != CARD_UPDATE:
            found = await self.readback.find(row, since, await self._database_id())
            if isinstance(found, Found):
                await self.store.write(
                    record_delivery,
                    row,
                    slack_channel=found.channel,
                    ts=found.ts,
                    at=self.clock(),
                    start_threads=row.target_thread_ts is None,
                )
                self._forget(row.id)
                log.info(
                    "outbox #%d was in %s already (its earlier attempt reached Slack); it is"
                    " not posted again",
                    row.id,
                    row.channel,
                )
                return DELIVERED
            if isinstance(found, TryLater):
                return await self._retry(row, found.why, None, uncertain=True, attempted=False)
            assert isinstance(found, (Absent, CannotLook))
        return await self._post(row)

    async def _post(self, row: OutboxRow) -> str:
        plan = await self.store.run(plan_row, row, self.clock())
        if isinstance(plan, Skip):
            await self.store.write(supersede, row.id, error=plan.why)
            self._forget(row.id)
            return GONE
        if isinstance(plan, Update):
            return await update_card(self, row, plan)
        args: dict[str, Any] = {
            "channel": plan.channel,
            "text": plan.text,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": metadata(row, await self._database_id()),
        }
        if plan.blocks:
            args["blocks"] = plan.blocks
        if plan.thread_ts:
            args["thread_ts"] = plan.thread_ts
            if plan.broadcast:
                args["reply_broadcast"] = True
        if not await self._begin(row, plan.channel, plan.thread_ts):
            return GONE
        if plan.card:
            record: Callable[..., Any] = record_card_post
        elif plan.in_card:
            record = record_thread_alert
        else:
            record = functools.partial(record_delivery, start_threads=plan.thread_ts is None)
        self._in_flight.add(row.id)
        try:
            return await self._send(row, args, record)
        finally:
            self._in_flight.discard(row.id)

    async def _begin(self, row: OutboxRow, channel: str, thread_ts: str | None) -> bool:
        """Commit the attempt before the HTTP call; False if the row is done meanwhile."""
        began = await self.store.write(
            begin_attempt,
            row.id,
            at=self.clock(),
            target_channel=channel,
            target_thread_ts=thread_ts,
        )
        if not began:  # delivered or dead meanwhile (by whoever held the lease before)
            self._forget(row.id)
        return bool(began)

    async def _call(self, method: str, args: dict[str, Any]) -> Any:
        """``chat.postMessage`` or ``chat.update``, timed, and told to ``on_post`` (unless it
        was cancelled)."""
        began = self.monotonic()
        try:
            async with asyncio.timeout(self.post_timeout + 1.0):
                if method == POST:
                    response = await self.slack.chat_postMessage(**args)
                else:
                    response = await self.slack.chat_update(**args)
        except Exception as exc:
            self._posted(method, began, error_label(exc))
            raise
        self._posted(method, began, None)
        return response

    def _posted(self, method: str, began: float, error: str | None) -> None:
        if self.on_post is None:
            return
        try:
            self.on_post(method, self.monotonic() - began, error)
        except Exception:
            log.exception("on_post failed (the post itself went on)")

    async def _send(self, row: OutboxRow, args: dict[str, Any], record: Callable[..., Any]) -> str:
        try:
            response = await self._call(POST, args)
        except SlackApiError as exc:
            if not is_slack_json(exc):
                return await self._retry(row, not_json_error(exc), None, uncertain=True)
            return await self._failed(row, *error_of(exc))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            unseen = reached_slack_unseen(exc)
            return await self._retry(row, network_error(exc), None, uncertain=unseen)
        except SlackClientError as exc:  # the request could not be made (not sent)
            return await self._dead(row, type(exc).__name__, str(exc)[:200])
        slack_channel = str(response.get("channel") or args["channel"])
        ts = str(response.get("ts") or "")
        await self._record(
            row.id, record, row=row, slack_channel=slack_channel, ts=ts, at=self.clock()
        )
        self._forget(row.id)
        if self._trouble:
            log.info("Slack is taking alerts again")
            self._trouble = False
        log.debug(
            "posted outbox #%d (%s, rule %s) to %s%s",
            row.id,
            row.kind,
            row.rule,
            row.channel,
            " in a thread" if "thread_ts" in args else "",
        )
        return DELIVERED

    async def _record(self, row_id: int, fn: Callable[..., Any], **kwargs: Any) -> None:
        """Write an outcome; when the database cannot take it, keep it to write first."""
        self._unrecorded[row_id] = (fn, kwargs)
        await self.store.write(fn, **kwargs)
        del self._unrecorded[row_id]

    def _forget(self, row_id: int) -> None:
        self._not_before.pop(row_id, None)

    async def _database_id(self) -> str:
        if self._database is None:
            self._database = await self.store.run(get_meta, "database_id") or ""
        return self._database

    # --- outcomes ------------------------------------------------------------------------

    async def _failed(
        self, row: OutboxRow, status: int, error: str, headers: Mapping[str, Any]
    ) -> str:
        if is_rate_limit(status, error):
            wait = retry_after_seconds(headers, self.clock())
            return await self._retry(row, f"ratelimited (HTTP {status})", wait if wait else 1.0)
        if is_transient(status, error):
            return await self._retry(row, f"{error} (HTTP {status})", None)
        return await self._dead(row, error, "")

    async def _retry(
        self,
        row: OutboxRow,
        error: str,
        after: float | None,
        *,
        uncertain: bool = False,
        attempted: bool = True,
    ) -> str:
        """Put a message back: after ``after`` seconds (429) or with exponential backoff."""
        if after is None:
            delay = min(self.backoff_cap, self.backoff_base * (2 ** max(row.attempts, 0)))
        else:
            delay = max(after, 0.0)
        self._not_before[row.id] = self.monotonic() + delay
        when = self.clock() + timedelta(seconds=delay)
        await self._record(
            row.id, mark_retry, id=row.id, error=error, next_attempt_at=when, uncertain=uncertain
        )
        if after is not None:
            log.info(
                "Slack rate limit on %s: waiting %.1f s before posting there again (outbox #%d)",
                row.channel,
                delay,
                row.id,
            )
        elif not self._trouble:
            self._trouble = True
            doubt = " (it may have been posted: it is looked for before posting again)"
            log.warning(
                "Slack could not take outbox #%d for %s (%s); it stays in the outbox and is"
                " retried with backoff, starting in %.0f s%s",
                row.id,
                row.channel,
                error,
                delay,
                doubt if uncertain and attempted else "",
            )
        else:
            log.debug("outbox #%d for %s: %s; retry in %.0f s", row.id, row.channel, error, delay)
        return RETRY

    async def _dead(self, row: OutboxRow, error: str, detail: str) -> str:
        """Give up on a message: it becomes a dead letter, and the log says so once."""
        reason = error if not detail else f"{error}: {detail}"
        await self._record(row.id, mark_dead, id=row.id, error=reason)
        self._forget(row.id)
        key = refusal_key(error, row.channel)
        if key in self._told:
            log.debug("outbox #%d for %s is a dead letter too (%s)", row.id, row.channel, error)
            return DEAD
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
        return DEAD
