"""Fixtures of the Slack stand-in's tests: a stand-in on loopback and a slack_sdk client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    server = SlackStandIn(
        bot_token="xoxb-test",
        app_token="xapp-test",
        channels={"general": "C0GENERAL", "orders": "C0ORDERS"},
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def client(standin: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=standin.api_url)
