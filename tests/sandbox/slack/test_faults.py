"""Faults of the Slack stand-in: 429s with Retry-After, server errors, an outage, a stop."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn


async def test_rate_limit_answers_429_with_retry_after(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    standin.fail("chat.postMessage", status=429, retry_after=7, times=1)
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert failure.value.response.status_code == 429
    assert failure.value.response["error"] == "ratelimited"
    assert failure.value.response.headers["Retry-After"] == "7"
    # only once: the next call goes through
    await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert [c.status for c in standin.calls] == [429, 200]


async def test_sdk_rate_limit_retry_handler_honours_retry_after(standin: SlackStandIn) -> None:
    client = AsyncWebClient(
        token="xoxb-test",
        base_url=standin.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    standin.fail("chat.postMessage", retry_after=0, times=1)
    response = await client.chat_postMessage(channel="C0GENERAL", text="eventually")
    assert response["ok"] is True
    assert [c.status for c in standin.calls] == [429, 200]
    assert len(standin.messages) == 1


async def test_server_errors_for_a_number_of_calls(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    standin.fail("*", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failure:
            await client.auth_test()
        assert failure.value.response.status_code == 500
        assert failure.value.response["error"] == "internal_error"
    assert (await client.auth_test())["ok"] is True


async def test_down_answers_503_then_recovers(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    standin.down = True
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert failure.value.response.status_code == 503
    standin.down = False
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"] is True


async def test_stopped_standin_refuses_connections_and_restarts_on_same_port(
    standin: SlackStandIn,
) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=standin.api_url, retry_handlers=[])
    url = standin.api_url
    await standin.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.auth_test()
    await standin.start()
    assert standin.api_url == url
    assert (await client.auth_test())["ok"] is True
