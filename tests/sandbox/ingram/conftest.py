"""Fixtures of the Ingram emulator's tests: sandboxes on loopback, raw httpx clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.sandbox.ingram import RunningSandbox, SandboxState, start_sandbox
from tests.sandbox.ingram.helpers import START, Api, Factory, get_token


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest_asyncio.fixture
async def make_sandbox(clock: ManualClock) -> AsyncIterator[Factory]:
    """Start sandboxes (stopped at the end); keyword arguments go to ``SandboxState``."""
    started: list[RunningSandbox] = []

    async def make(**options: Any) -> RunningSandbox:
        options.setdefault("clock", clock)
        running = await start_sandbox(SandboxState(**options), port=0)
        started.append(running)
        return running

    yield make
    for running in started:
        await running.stop()


@pytest_asyncio.fixture
async def sandbox(make_sandbox: Factory) -> RunningSandbox:
    return await make_sandbox(response_style="table")


@pytest_asyncio.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest_asyncio.fixture
async def api(http: httpx.AsyncClient) -> Api:
    return Api(http, await get_token(http))
