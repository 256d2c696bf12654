"""One budget of Ingram calls for the whole process, shared fairly between its users.

Ingram allows 60 calls per 60 seconds and says so in ``X-RateLimit-*`` headers. The
``RateLimiter`` combines three things:

* a local leaky bucket (aiolimiter) so the process never sends more than the limit;
* what the server says: when ``X-RateLimit-Remaining`` reaches 0, or after a 429, nothing is
  sent until ``X-RateLimit-Reset`` (UNIX time in ms) or ``Retry-After``;
* priorities: an interactive call (a Slack user waiting) is always granted before a
  background one (the poller), and background calls leave a reserve of the budget untouched,
  so a poll walking many pages never makes a user wait for more than the call in flight.

Calls above the limit are queued, never dropped.

The blocked-until time is a deadline on the monotonic clock: the server's reset (a UNIX time)
is turned into "so many seconds from now" when it arrives, so a wall-clock step neither
holds every call back nor lets them go early.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from aiolimiter import AsyncLimiter

from bot.clock import Clock, Monotonic, utc_now
from bot.headers import header, retry_after_seconds

Sleep = Callable[[float], Awaitable[None]]


class Priority(IntEnum):
    """Who is waiting for a call: lower values are served first."""

    INTERACTIVE = 0
    BACKGROUND = 1


@dataclass
class RateStats:
    """What the limiter has done, for status pages and benchmarks."""

    granted: int = 0
    queued: int = 0
    server_waits: int = 0
    server_wait_seconds: float = 0.0


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    raw = header(headers, name)
    if raw is None:
        return None
    try:
        return float(str(raw).strip())
    except ValueError:
        return None


def monotonic_of(clock: Clock) -> Monotonic:
    """The monotonic clock that goes with ``clock``: its own when it has one (a test's
    ``ManualClock``, whose sleeps move it), else ``time.monotonic``."""
    own = getattr(clock, "monotonic", None)
    return own if callable(own) else time.monotonic


class RateLimiter:
    """The process-wide Ingram call budget. ``await acquire(priority)`` before every call,
    ``observe(status, headers)`` after every answer. ``clock`` reads the server's reset
    times; ``monotonic`` (default: the clock's own, else ``time.monotonic``) keeps the
    deadline."""

    def __init__(
        self,
        max_calls: int = 60,
        period: float = 60.0,
        *,
        reserve: int | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic | None = None,
    ) -> None:
        self.max_calls = max_calls
        self.period = period
        #: Calls of the budget that background work never spends.
        self.reserve = max(1, max_calls // 10) if reserve is None else reserve
        if self.reserve >= max_calls:
            self.reserve = max_calls - 1
        self._bucket = AsyncLimiter(max_calls, period)
        self._clock = clock
        self._monotonic = monotonic or monotonic_of(clock)
        self._sleep = sleep
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        self._blocked_until = 0.0
        # Ingram's own count, from its latest answer's headers: calls left, its limit, and
        # when its window resets (on the monotonic clock).
        self._server_remaining: float | None = None
        self._server_limit: float | None = None
        self._server_reset_at = 0.0
        self.stats = RateStats()

    def __repr__(self) -> str:
        return (
            f"<RateLimiter {self.max_calls}/{self.period:g}s waiting={len(self._waiters)}"
            f" blocked_for={self.blocked_for():.1f}s>"
        )

    def _need(self, priority: int) -> int:
        return 1 if priority == Priority.INTERACTIVE else 1 + self.reserve

    def blocked_for(self) -> float:
        """Seconds until the server allows calls again (0 when it does now)."""
        return max(0.0, self._blocked_until - self._monotonic())

    def expected_wait(self) -> float:
        """A rough estimate of how long a call asked for now would wait, in seconds."""
        queued = sum(1 for _p, _s, f in self._waiters if not f.done())
        wait = self.blocked_for() + queued * self.period / self.max_calls
        return wait if wait > 0 or self._bucket.has_capacity() else self.period / self.max_calls

    def remaining(self) -> float:
        """Calls left in the current rate window, as Ingram's latest answer said
        (``X-RateLimit-Remaining``; 0 after a 429); the whole budget before its first answer
        and once that window has reset."""
        if self._server_remaining is None or self._monotonic() >= self._server_reset_at:
            return float(self._server_limit or self.max_calls)
        return self._server_remaining

    def _learn_remaining(
        self, status: int, remaining: float | None, limit: float | None, reset_in: float | None
    ) -> None:
        if status == 429:
            remaining = 0.0
            reset_in = max(reset_in or 0.0, self.blocked_for())
        if remaining is None:
            return
        self._server_remaining = max(remaining, 0.0)
        self._server_limit = limit if limit and limit > 0 else self._server_limit
        self._server_reset_at = self._monotonic() + (
            reset_in if reset_in is not None else self.period
        )

    def block_until(self, epoch_seconds: float) -> None:
        """Send nothing before ``epoch_seconds`` (a UNIX time, bounded to one rate period
        from now); kept as a monotonic deadline."""
        self.block_for(epoch_seconds - self._clock().timestamp())

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (bounded to one rate period)."""
        until = self._monotonic() + min(max(seconds, 0.0), self.period + 1.0)
        self._blocked_until = max(self._blocked_until, until)

    def observe(self, status: int, headers: Mapping[str, str]) -> float:
        """Learn from an answer's rate headers; returns seconds to wait before the next call.

        A 429 blocks until ``X-RateLimit-Reset`` or ``Retry-After`` (the later of the two),
        or one full period when the server gave neither.
        """
        now = self._clock()
        remaining = _header_float(headers, "X-RateLimit-Remaining")
        reset_ms = _header_float(headers, "X-RateLimit-Reset")
        if status == 429:
            candidates = []
            if reset_ms is not None:
                candidates.append(reset_ms / 1000.0 - now.timestamp())
            after = retry_after_seconds(headers, now)
            if after is not None:
                candidates.append(after)
            self.block_for(max(candidates) if candidates else self.period)
        elif remaining is not None and remaining <= 0 and reset_ms is not None:
            self.block_until(reset_ms / 1000.0)
        reset_in = reset_ms / 1000.0 - now.timestamp() if reset_ms is not None else None
        limit = _header_float(headers, "X-RateLimit-Limit")
        self._learn_remaining(status, remaining, limit, reset_in)
        return self.blocked_for()

    async def acquire(self, priority: Priority = Priority.INTERACTIVE) -> None:
        """Wait until a call may be sent. Higher-priority callers go first."""
        if (
            not self._waiters
            and self.blocked_for() <= 0
            and self._bucket.has_capacity(self._need(priority))
        ):
            await self._bucket.acquire()
            self.stats.granted += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._seq), future))
        self.stats.queued += 1
        self._arrived.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._grant_loop(), name="ingram-rate-limiter")
        await future
        self.stats.granted += 1

    def _drop_cancelled(self) -> None:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)

    async def _grant_loop(self) -> None:
        """Grant permits to waiters in priority order as the budget allows."""
        drip = self.period / self.max_calls
        while True:
            self._drop_cancelled()
            if not self._waiters:
                return
            blocked = self.blocked_for()
            if blocked > 0:
                self.stats.server_waits += 1
                self.stats.server_wait_seconds += blocked
                await self._sleep(blocked)
                continue
            priority = self._waiters[0][0]
            # Interactive work waits for the bucket; background work only takes what is left
            # above the reserve.
            if priority == Priority.INTERACTIVE or self._bucket.has_capacity(self._need(priority)):
                await self._bucket.acquire()
            else:
                # Background work waits for the bucket to drain past the reserve; an
                # interactive arrival wakes the loop at once.
                self._arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), drip)
                continue
            self._drop_cancelled()
            if self._waiters:
                heapq.heappop(self._waiters)[2].set_result(None)
