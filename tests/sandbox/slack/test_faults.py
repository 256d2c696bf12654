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


# --- what networks and proxies do to answers -------------------------------------------------


def quiet_client(standin: SlackStandIn, timeout: int = 30) -> AsyncWebClient:
    """A client that shows every failure as it happens (no slack_sdk retries)."""
    return AsyncWebClient(
        token="xoxb-test", base_url=standin.api_url, retry_handlers=[], timeout=timeout
    )


async def test_drop_after_recording_the_post(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", mode="drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await quiet_client(standin).chat_postMessage(channel="C0GENERAL", text="landed")
    assert [m.text for m in standin.messages] == ["landed"]  # in the channel all the same
    assert standin.calls[-1].error == "(drop)"


async def test_drop_before_recording_posts_nothing(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", mode="drop", record=False)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await quiet_client(standin).chat_postMessage(channel="C0GENERAL", text="lost")
    assert standin.messages == []


async def test_hang_outlasts_the_client_timeout(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", mode="hang", hang=30)
    with pytest.raises(TimeoutError):
        await quiet_client(standin, timeout=1).chat_postMessage(channel="C0GENERAL", text="slow")
    assert [m.text for m in standin.messages] == ["slow"]


@pytest.mark.parametrize("mode", ["html", "empty"])
async def test_a_200_that_is_not_slack_json(standin: SlackStandIn, mode: str) -> None:
    standin.fail("chat.postMessage", mode=mode, record=False)
    with pytest.raises(SlackApiError) as failure:
        await quiet_client(standin).chat_postMessage(channel="C0GENERAL", text="x")
    assert failure.value.response.status_code == 200
    assert not isinstance(failure.value.response.data, dict) or "ok" not in (
        failure.value.response.data
    )
    assert standin.messages == []


async def test_a_truncated_answer(standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", mode="truncated")
    with pytest.raises(aiohttp.ClientPayloadError):
        await quiet_client(standin).chat_postMessage(channel="C0GENERAL", text="cut")
    assert [m.text for m in standin.messages] == ["cut"]


async def test_latency_delays_every_answer(standin: SlackStandIn) -> None:
    import time

    standin.latency = 0.3
    began = time.perf_counter()
    await quiet_client(standin).auth_test()
    assert time.perf_counter() - began >= 0.3


def test_unknown_fault_modes_are_refused(standin: SlackStandIn) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        standin.fail("chat.postMessage", mode="explode")  # type: ignore[arg-type]
