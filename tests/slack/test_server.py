"""Serving the app: Slack's signatures over HTTP, ``/healthz``, Socket Mode, a socket that goes
silent, and a restart that lets the answers in flight finish."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.config import StartupError
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from tests.slack.helpers import ask, press

# --- signatures --------------------------------------------------------------------------------


async def test_requests_signed_as_slack_signs_them_are_accepted(world: SandboxWorld) -> None:
    result = await world.user().command("/order", "20-RD12H")
    assert result.status == 200
    assert world.request_url is not None and world.request_url.endswith("/slack/events")


@pytest.mark.parametrize(
    "tamper", [{"forge_signature": True}, {"age": 600.0}], ids=["forged", "ten-minutes-old"]
)
async def test_forged_or_old_requests_get_401_and_do_nothing(
    world: SandboxWorld, tamper: dict
) -> None:
    alice = world.user()
    result = await alice.command("/order", "20-RD12H", **tamper)
    assert result.status == 401
    assert world.state.requests == [] and world.slack.messages == []


async def test_a_forged_button_press_deletes_nothing(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await ask(alice, "delete 20-11852")
    result = await alice.press(prompt, "Delete order", forge_signature=True)
    assert result is not None and result.status == 401
    assert world.state.delete_calls == 0
    outcome = await (await press(alice, prompt, "Delete order")).reply()
    assert "was deleted" in outcome.all_text  # the confirmation was not used up


async def test_a_request_without_signature_headers_gets_401(world: SandboxWorld) -> None:
    body = urlencode({"command": "/order", "text": "20-RD12H", "user_id": "U0ALICE"})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(str(world.request_url), data=body, headers=headers) as response,
    ):
        assert response.status == 401
    assert world.state.requests == []


async def test_healthz_answers(world: SandboxWorld) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{world.bot.url}/healthz") as response,
    ):
        assert response.status == 200
        body = await response.json()
    assert body["ok"] is True and body["unhealthy"] == []
    assert set(body["parts"]) == {"slack", "store", "writer", "poller", "outbox"}
    assert "holds the writer lease" in body["parts"]["writer"]["detail"]
    assert "HTTP mode" in body["parts"]["slack"]["detail"]


async def test_a_restart_lets_the_answers_in_flight_finish(world: SandboxWorld) -> None:
    world.state.latency = 0.3
    result = await world.user().command("/order", "20-RD12H")
    await world.restart_bot()  # stops taking requests, finishes the answer, then restarts
    answer = await result.reply()
    assert "Order 20-RD12H" in answer.all_text


# --- Socket Mode -------------------------------------------------------------------------------


async def test_socket_mode_serves_the_same_commands_and_buttons() -> None:
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True) as world:
        assert world.request_url is None and world.slack.live_connections == 1
        alice = world.user()

        result = await alice.command("/order", "20-RD12H")
        assert result.ack is not None and result.status == 200 and result.elapsed < 0.5
        answer = await result.reply()
        assert "Order 20-RD12H" in answer.all_text

        usage = await alice.command("/order", "help")
        assert usage.ack_message is not None and "/order po CUSTPO" in usage.ack_message.all_text

        prompt = await ask(alice, "delete 20-11852")
        outcome = await (await press(alice, prompt, "Delete order")).reply()
        assert "was deleted" in outcome.all_text and world.state.delete_calls == 1


async def test_a_silent_socket_is_detected_reconnected_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="orderbot.slack")
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True, socket_ping_interval=0.3) as world:
        alice = world.user()
        await ask(alice, "20-RD12H")

        assert world.slack.go_silent() == 1  # open, but nothing gets through any more
        await world.slack.wait_connections(2, timeout=5)

        answer = await ask(alice, "20-SH001")  # the new connection works
        assert "Order 20-SH001" in answer.all_text
        watchdog = world.bot.socket.watchdog
        assert watchdog.reconnects == 1 and world.slack.connections_opened == 2
        assert "Socket Mode connection looks dead" in caplog.text
        assert "Socket Mode reconnected (reconnect #1)" in caplog.text

        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{world.bot.url}/healthz") as response,
        ):
            body = await response.json()
        assert response.status == 200
        assert body["parts"]["slack"]["detail"] == "Socket Mode connected"
        assert body["parts"]["slack"]["reconnects"] == 1


async def test_a_bot_token_slack_refuses_stops_the_start_with_a_clear_message() -> None:
    world = SandboxWorld(retry=FAST_RETRY, env={"SLACK_BOT_TOKEN": "xoxb-revoked"})
    with pytest.raises(StartupError, match="Slack refused SLACK_BOT_TOKEN \\(invalid_auth\\)"):
        await world.start()
    assert world.slack._runner is None  # the harness stopped what it had started


async def test_a_socket_slack_closes_or_refreshes_is_reopened() -> None:
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True, socket_ping_interval=0.3) as world:
        alice = world.user()
        assert await world.slack.disconnect_all() == 1  # closed from Slack's side
        await world.slack.wait_connections(2, timeout=5)
        assert "Order 20-RD12H" in (await ask(alice, "20-RD12H")).all_text

        assert await world.slack.send_disconnect() == 1  # Slack's "disconnect" before a refresh
        await world.slack.wait_connections(3, timeout=5)
        assert "Order 20-SH001" in (await ask(alice, "20-SH001")).all_text
        assert world.slack.live_connections == 1
