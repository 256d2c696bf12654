"""Slack's request URL acknowledges at once and loses nothing Bolt wanted to say."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.sandbox.slack import SlackStandIn, SlackUser
from bot.slack.endpoint import SlackEndpoint
from bot.slack.server import HttpServer, web_application

SECRET = "endpoint-test-secret"


class Served:
    def __init__(self, app: AsyncApp, endpoint: SlackEndpoint, url: str, slack: SlackStandIn):
        self.app, self.endpoint, self.url, self.slack = app, endpoint, url, slack

    def user(self) -> SlackUser:
        return SlackUser(self.slack, f"{self.url}/slack/events", SECRET)


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    async def authorize() -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id="T0ORDERBOT", bot_token="xoxb-test")

    app = AsyncApp(signing_secret=SECRET, authorize=authorize, process_before_response=True)
    endpoint = SlackEndpoint(app, SECRET)

    async def no_health() -> dict:
        return {}

    server = HttpServer(web_application(endpoint.handle, no_health), "127.0.0.1", 0)
    await server.start()
    async with SlackStandIn() as slack:
        yield Served(app, endpoint, server.url, slack)
        await endpoint.drain(1.0)
    await server.stop()


async def test_the_ack_does_not_wait_for_a_slow_listener(served: Served) -> None:
    @served.app.command("/order")
    async def slow(ack) -> None:
        await asyncio.sleep(1.0)
        await ack("done thinking")

    started = time.perf_counter()
    result = await served.user().command("/order", "20-RD12H")
    assert result.status == 200 and result.body == ""
    assert time.perf_counter() - started < 0.5
    reply = await result.reply(timeout=5)  # what the listener acked with, via response_url
    assert reply.text == "done thinking"
    assert reply.is_ephemeral


async def test_an_authorisation_problem_still_reaches_the_user(served: Served) -> None:
    async def refuse() -> AuthorizeResult | None:
        return None

    app = AsyncApp(signing_secret=SECRET, authorize=refuse, process_before_response=True)
    served.endpoint.app = app
    result = await served.user().command("/order", "20-RD12H")
    assert result.status == 200
    reply = await result.reply(timeout=5)
    assert reply.text  # Bolt's user-facing authorisation message, not silence


async def test_a_button_press_is_acknowledged_and_dispatched(served: Served) -> None:
    pressed = asyncio.Event()

    @served.app.action("go")
    async def go(ack) -> None:
        await ack()
        pressed.set()

    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go"}
    message_url = served.slack.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
    async with aiohttp.ClientSession() as http:
        blocks = [{"type": "actions", "elements": [{**button, "value": "1"}]}]
        await http.post(message_url, json={"text": "x", "blocks": blocks})
    message = served.slack.messages[-1]
    result = await served.user().press(message, "go")
    assert result is not None and result.status == 200
    await asyncio.wait_for(pressed.wait(), 5)


async def test_forged_requests_get_401_before_bolt_sees_them(served: Served) -> None:
    seen = []

    @served.app.command("/order")
    async def order(ack, command) -> None:
        seen.append(command)
        await ack()

    forged = await served.user().command("/order", "x", forge_signature=True)
    old = await served.user().command("/order", "x", age=600)
    assert (forged.status, old.status) == (401, 401)
    await asyncio.sleep(0.1)
    assert seen == []


async def test_a_json_request_goes_through_bolt_before_the_answer(served: Served) -> None:
    user = served.user()
    body = b'{"type": "event_callback", "event": {"type": "app_mention"}}'
    headers = {**user.signed_headers(body), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{served.url}/slack/events", data=body, headers=headers) as answer,
    ):
        assert answer.status == 404  # Bolt's own answer: no listener for events
