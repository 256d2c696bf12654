"""``Services``: answers start after the acks of a burst, and shutdown lets them finish."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.slack.services import ACKS_FIRST_MAX_WAIT, ACKS_FIRST_QUIET, Services


def services() -> Services:
    return Services(orders=None, store=None)  # type: ignore[arg-type] - not used here


async def test_an_answer_starts_at_once_when_slack_is_quiet() -> None:
    started = time.monotonic()
    await services().acks_first()
    assert time.monotonic() - started < ACKS_FIRST_QUIET


async def test_an_answer_waits_for_the_requests_to_pause() -> None:
    s = services()
    s.saw_request()
    started = time.monotonic()
    await s.acks_first()
    assert ACKS_FIRST_QUIET * 0.9 <= time.monotonic() - started < ACKS_FIRST_MAX_WAIT


async def test_a_steady_stream_of_requests_delays_an_answer_only_so_long() -> None:
    s = services()

    async def stream() -> None:
        while True:
            s.saw_request()
            await asyncio.sleep(ACKS_FIRST_QUIET / 4)

    s.saw_request()
    feeder = asyncio.create_task(stream())
    started = time.monotonic()
    await s.acks_first()
    waited = time.monotonic() - started
    feeder.cancel()
    assert ACKS_FIRST_MAX_WAIT * 0.9 <= waited < ACKS_FIRST_MAX_WAIT + 0.1


async def test_drain_finishes_answers_and_cancels_the_late_ones() -> None:
    s = services()
    done: list[str] = []

    async def work(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(name)

    s.later(work("quick", 0.05), "quick")
    s.later(work("slow", 60), "slow")
    never: Any = work("never", 0)
    s.saw_request()  # the third one has not even started when the drain gives up
    s.later(never, "never").cancel()
    await s.drain(grace=0.2)
    assert done == ["quick"] and not s.answers
