"""Start-up's connection to Slack, over loopback to the stand-in: a token Slack refuses stops
the start at once, naming its variable; Slack out of reach is retried while ``/healthz``
already answers 503 naming slack; a signal stops a start that is still trying."""

from __future__ import annotations

import asyncio
import logging
import os

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import StartupError
from bot.runtime import Orderbot
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.slack.app import build_app
from bot.slack.connect import SlackConnection, describe, refusal
from tests.slack.helpers import ask


def slack_error(status: int, data: object, headers: dict | None = None) -> SlackApiError:
    response = AsyncSlackResponse(
        client=AsyncWebClient(),
        http_verb="POST",
        api_url="http://127.0.0.1/api/auth.test",
        req_args={},
        data=data,  # type: ignore[arg-type]
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


@pytest.mark.parametrize(
    ("status", "data", "refused"),
    [
        (200, {"ok": False, "error": "invalid_auth"}, "invalid_auth"),
        (200, {"ok": False, "error": "not_allowed_token_type"}, "not_allowed_token_type"),
        (429, {"ok": False, "error": "ratelimited"}, None),
        (503, {"ok": False, "error": "service_unavailable"}, None),
        (200, {"ok": False, "error": "internal_error"}, None),
        (502, "<html>Bad Gateway</html>", None),
    ],
)
def test_refusals_are_told_from_outages(status: int, data: object, refused: str | None) -> None:
    assert refusal(slack_error(status, data)) == refused
    assert refusal(aiohttp.ClientConnectionError("refused")) is None
    assert refusal(TimeoutError()) is None
    assert "not Slack's JSON" in describe(slack_error(502, "<html>"))


async def test_a_refused_app_token_stops_the_start_naming_slack_app_token() -> None:
    world = SandboxWorld(retry=FAST_RETRY, socket_mode=True, env={"SLACK_APP_TOKEN": "xapp-no"})
    with pytest.raises(StartupError, match=r"Slack refused SLACK_APP_TOKEN \(invalid_auth\)"):
        await world.start()
    assert world.slack._runner is None  # the harness stopped what it had started


async def test_a_revoked_app_token_stops_a_restart() -> None:
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True) as world:
        world.slack.revoke(world.slack.app_token)
        with pytest.raises(StartupError, match="SLACK_APP_TOKEN"):
            await world.restart_bot()
        assert world.slack.connections_opened == 1


async def test_socket_mode_keeps_trying_while_slack_fails_then_serves() -> None:
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True) as world:
        world.slack.fail("apps.connections.open", status=503, times=2)
        world.slack.fail("auth.test", status=429, retry_after=0, times=1)
        await world.restart_bot()
        assert world.bot.connection.failures == 3
        assert "Order 20-RD12H" in (await ask(world.user(), "20-RD12H")).all_text


async def failures(bot: Orderbot, count: int) -> None:
    """Wait until start-up has failed to reach Slack ``count`` times."""
    for _ in range(500):
        if bot.connection.failures >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"start-up failed {bot.connection.failures} times, not {count}")


async def healthz(port: int) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize("socket_mode", [True, False], ids=["socket-mode", "http-mode"])
async def test_slack_out_of_reach_is_retried_while_healthz_names_slack(
    socket_mode: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="orderbot.slack")
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=socket_mode) as world:
        await world.bot.stop()
        bot = Orderbot(
            world.settings,
            host="127.0.0.1",
            port=0,
            slack_connection=SlackConnection(first_delay=0.05, max_delay=0.2),
        )
        async with world.slack.unreachable():
            starting = asyncio.create_task(bot.start())
            await failures(bot, 2)
            status, body = await healthz(bot.http.port)
            assert status == 503 and "slack" in body["unhealthy"]
            assert (
                "cannot reach Slack: checking SLACK_BOT_TOKEN" in body["parts"]["slack"]["detail"]
            )
            assert not starting.done()
        await asyncio.wait_for(starting, 10)
        try:
            status, body = await healthz(bot.http.port)
            assert status == 200 and body["parts"]["slack"]["ok"], body
        finally:
            await bot.stop()
    lines = [r for r in caplog.records if "cannot reach Slack" in r.getMessage()]
    assert lines and all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)


async def test_stop_ends_a_start_that_is_still_trying() -> None:
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True) as world:
        await world.bot.stop()
        bot = Orderbot(world.settings, host="127.0.0.1", port=0)
        async with world.slack.unreachable():
            starting = asyncio.create_task(bot.start())
            await failures(bot, 1)
            starting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await starting
            await asyncio.wait_for(bot.stop(), 5)
        assert bot.http is not None and not bot.served


async def test_bolt_reads_no_slack_variable_and_logs_no_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "oauth-secret")
    async with SandboxWorld(retry=FAST_RETRY) as world:
        app = build_app(world.settings.slack, world.bot.services)
    assert app.oauth_flow is None  # SLACK_CLIENT_ID/SECRET did not turn Bolt's OAuth on
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-from-the-environment"  # put back
