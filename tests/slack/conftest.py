"""Fixtures of the Slack app tests: a whole ``SandboxWorld`` per test, over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from bot.sandbox.world import FAST_RETRY, SandboxWorld


@pytest_asyncio.fixture
async def world() -> AsyncIterator[SandboxWorld]:
    """The bot in HTTP mode with the Ingram emulator and the Slack stand-in; alice may delete."""
    async with SandboxWorld(retry=FAST_RETRY) as running:
        yield running
