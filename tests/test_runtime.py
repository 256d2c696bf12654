"""``orderbot serve``'s runtime: /healthz names the part that is unhealthy, and why."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp

from bot.clock import ManualClock
from bot.sandbox.ingram import Fault
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.store import outbox_stats


async def healthz(world: SandboxWorld) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{world.bot.url}/healthz") as response,
    ):
        return response.status, await response.json()


async def test_healthz_turns_503_and_names_the_poller_then_the_outbox() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    async with SandboxWorld(retry=FAST_RETRY, clock=clock, poll_interval=60) as world:
        for _ in range(200):
            if world.bot.poller.last_report is not None:
                break
            await asyncio.sleep(0.02)
        assert (await healthz(world))[0] == 200

        world.state.faults.add(Fault(status=503, times=0))
        assert not (await world.bot.poller.poll_once()).ok
        clock.advance(minutes=10)  # no successful poll for longer than allowed
        status, body = await healthz(world)
        assert status == 503 and body["unhealthy"] == ["poller"]
        assert "503" in body["parts"]["poller"]["detail"]

        world.state.faults.clear()
        world.slack.down = True
        world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
        assert (await world.bot.poller.poll_once()).alerts == 1
        for _ in range(200):  # the notifier tries, fails, keeps the alert
            stats = await world.bot.store.run(outbox_stats, clock())
            if stats.pending and world.slack.calls_to("chat.postMessage"):
                break
            await asyncio.sleep(0.02)
        clock.advance(minutes=20)  # Slack down for 20 minutes: the alert still waits
        assert (await world.bot.poller.poll_once()).ok  # while polling goes on fine
        status, body = await healthz(world)
        assert status == 503 and body["unhealthy"] == ["outbox"]
        assert "waited" in body["parts"]["outbox"]["detail"]
