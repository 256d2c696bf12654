"""The Ingram client against the real emulator, over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.ingram import IngramClient, IngramSettings, RateLimiter, RetryPolicy
from bot.sandbox.ingram import RunningSandbox, SandboxState, start_sandbox
from bot.sandbox.world import sandbox_ingram_settings

#: A Monday, mid-morning in London: inside every country's window.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FAST_RETRIES = RetryPolicy(attempts=3, base=0.01, cap=0.02)
SETTINGS_FIELDS = {f.name for f in fields(IngramSettings)}


def manual_sleep(clock: ManualClock) -> Callable[[float], Any]:
    """A sleep that moves the shared manual clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        clock.advance(max(seconds, 0.0))
        await asyncio.sleep(0)

    return sleep


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest_asyncio.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(SandboxState(clock=clock))
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def make_client(
    sandbox: RunningSandbox, clock: ManualClock
) -> AsyncIterator[Callable[..., IngramClient]]:
    """Build clients for the sandbox; every one is closed after the test. Keyword arguments
    are fields of ``IngramSettings`` (``timeout=0.2``) or options of the client."""
    made: list[IngramClient] = []

    def make(**overrides: Any) -> IngramClient:
        changes = {k: overrides.pop(k) for k in SETTINGS_FIELDS & overrides.keys()}
        settings = sandbox_ingram_settings(sandbox.url, **{"timeout": 2.0, **changes})
        options: dict[str, Any] = {
            "retry": FAST_RETRIES,
            "clock": clock,
            "sleep": manual_sleep(clock),
        }
        options.update(overrides)
        if "limiter" not in options:
            options["limiter"] = RateLimiter(
                1000, 60, clock=options["clock"], sleep=options["sleep"]
            )
        client = IngramClient(settings, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., IngramClient]) -> IngramClient:
    return make_client()
