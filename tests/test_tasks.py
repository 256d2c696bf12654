"""Background work: tracked while it runs, let finish at shutdown, cut off after the grace."""

from __future__ import annotations

import asyncio

import pytest

from bot.tasks import Background, cancel


async def test_drain_lets_quick_work_finish_and_cancels_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = Background("answers")
    finished: list[str] = []

    async def job(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    work.spawn(job("quick", 0.01), "quick")
    slow = work.spawn(job("slow", 60), "slow")
    assert len(work) == 2
    await work.drain(grace=0.2)
    assert finished == ["quick"]
    assert slow.cancelled()
    assert len(work) == 0
    assert "1 answers were still in progress at shutdown" in caplog.text


async def test_draining_nothing_returns_at_once() -> None:
    await asyncio.wait_for(Background("nothing").drain(), 0.1)


async def test_cancel_ends_a_task_and_waits_for_it() -> None:
    await cancel(None)
    task = asyncio.create_task(asyncio.sleep(60))
    await cancel(task)
    assert task.cancelled()
