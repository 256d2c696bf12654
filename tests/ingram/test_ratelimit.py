"""The process-wide rate budget: server headers, 429s, priorities, queueing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import ManualClock
from bot.ingram.ratelimit import Priority, RateLimiter


def manual_sleep(clock: ManualClock):
    """A sleep that moves the manual clock instead of waiting."""

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    sleep.slept = slept  # type: ignore[attr-defined]
    return sleep


def reset_header(clock: ManualClock, seconds: float) -> str:
    return str(int((clock().timestamp() + seconds) * 1000))


async def test_remaining_zero_waits_for_the_reset_instead_of_spending_a_429() -> None:
    clock = ManualClock()
    sleep = manual_sleep(clock)
    limiter = RateLimiter(60, 60, clock=clock, sleep=sleep)
    wait = limiter.observe(
        200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset_header(clock, 12.5)}
    )
    assert 12.4 < wait <= 12.5
    await limiter.acquire()
    assert sleep.slept and 12.4 < sum(sleep.slept) <= 12.5
    assert limiter.blocked_for() == 0


async def test_remaining_above_zero_does_not_block() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, 60, clock=clock)
    assert (
        limiter.observe(
            200, {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": reset_header(clock, 30)}
        )
        == 0
    )


async def test_a_429_waits_for_the_later_of_reset_and_retry_after() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, 60, clock=clock)
    assert (
        limiter.observe(429, {"X-RateLimit-Reset": reset_header(clock, 5), "Retry-After": "9"}) == 9
    )
    clock.advance(9)
    assert limiter.observe(429, {}) == 60  # no hint at all: one full period


async def test_a_reset_far_away_is_bounded_to_one_period() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, 60, clock=clock)
    assert limiter.observe(429, {"X-RateLimit-Reset": reset_header(clock, 3600)}) == 61


async def test_a_burst_above_the_limit_is_queued_never_dropped() -> None:
    limiter = RateLimiter(5, 0.25)  # real time: 5 calls per quarter second
    done: list[int] = []

    async def call(i: int) -> None:
        await limiter.acquire()
        done.append(i)

    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(call(i) for i in range(12)))
    assert sorted(done) == list(range(12))
    # 5 at once, then one every 50 ms: the 12th needs at least 7 drips.
    assert loop.time() - started >= 0.3


async def test_interactive_callers_go_before_queued_background_ones() -> None:
    limiter = RateLimiter(4, 0.4, reserve=1)  # one permit every 100 ms once the burst is spent
    order: list[str] = []

    async def call(name: str, priority: Priority) -> None:
        await limiter.acquire(priority)
        order.append(name)

    for _ in range(4):
        await limiter.acquire()  # spend the burst
    background = [asyncio.create_task(call(f"bg{i}", Priority.BACKGROUND)) for i in range(3)]
    await asyncio.sleep(0.01)
    interactive = asyncio.create_task(call("user", Priority.INTERACTIVE))
    await asyncio.gather(interactive, *background)
    assert order[0] == "user"
    assert order[1:] == ["bg0", "bg1", "bg2"]


async def test_background_work_leaves_the_reserve_for_users() -> None:
    limiter = RateLimiter(10, 10.0, reserve=3)
    for _ in range(7):
        await limiter.acquire(Priority.BACKGROUND)
    blocked = asyncio.create_task(limiter.acquire(Priority.BACKGROUND))
    await asyncio.sleep(0.05)
    assert not blocked.done()  # only the reserve is left
    for _ in range(3):
        await asyncio.wait_for(limiter.acquire(Priority.INTERACTIVE), 0.1)
    blocked.cancel()


async def test_a_wall_clock_step_neither_holds_calls_back_nor_lets_them_go_early() -> None:
    clock = ManualClock()
    sleep = manual_sleep(clock)
    limiter = RateLimiter(60, 60, clock=clock, sleep=sleep)
    assert limiter.observe(429, {"Retry-After": "20"}) == 20
    clock.set(clock() + timedelta(hours=1))  # a step forward
    assert limiter.blocked_for() == 20  # still blocked: the step is not time passing
    clock.set(clock() - timedelta(days=1))  # a step back
    assert limiter.blocked_for() == 20  # not parked for a day either
    await limiter.acquire()
    assert sum(sleep.slept) == 20


async def test_remaining_is_ingrams_count_until_its_window_resets() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, 60, clock=clock)
    assert limiter.remaining() == 60  # before Ingram's first answer: the whole budget
    limiter.observe(
        200,
        {
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "42",
            "X-RateLimit-Reset": reset_header(clock, 30),
        },
    )
    assert limiter.remaining() == 42
    clock.advance(31)
    assert limiter.remaining() == 100  # that window has reset: Ingram's whole limit again
    limiter.observe(429, {"Retry-After": "5"})
    assert limiter.remaining() == 0
    clock.advance(6)
    assert limiter.remaining() == 100
