"""Slack's request URL acknowledges at once and loses nothing Bolt wanted to say."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.sandbox.slack import SlackStandIn, SlackUser, sign
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


# --- malformed requests: a 4xx and one log line, never a 500 ----------------------------------


async def post_raw(served: Served, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{served.url}/slack/events", data=body, headers=headers) as answer,
    ):
        return answer.status


def signed(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]


COMMAND = urlencode({"command": "/order", "text": "20-RD12H", "team_id": "T1", "user_id": "U1"})


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("superscript-two timestamp", 400, "not a UNIX time"),
        ("5000-digit timestamp", 400, "not a UNIX time"),
        ("no timestamp", 401, "no X-Slack-Request-Timestamp"),
        ("no signature", 401, "no X-Slack-Signature"),
        ("not UTF-8", 400, "not UTF-8"),
        ("percent-encoded not UTF-8", 400, "not UTF-8 once decoded"),
        ("JSON that does not parse", 400, "JSON body is not JSON"),
        ("a JSON array", 400, "not a JSON object"),
        ("payload not JSON", 400, "payload field is not JSON"),
        ("payload a list", 400, "payload field is not a JSON object"),
        ("payload a number", 400, "payload field is not a JSON object"),
        ("plain text", 415, "not a form or JSON"),
    ],
)
async def test_a_malformed_request_gets_a_4xx_and_one_log_line(
    served: Served, caplog: pytest.LogCaptureFixture, case: str, status: int, reason: str
) -> None:
    seen: list[object] = []
    failures: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: failures.append(ctx))

    @served.app.command("/order")
    @served.app.action("go")
    async def anything(ack, body) -> None:
        seen.append(body)
        await ack()

    body, headers = COMMAND.encode(), signed(COMMAND.encode())
    if case == "superscript-two timestamp":
        headers["X-Slack-Request-Timestamp"] = "²"
    elif case == "5000-digit timestamp":
        headers["X-Slack-Request-Timestamp"] = "9" * 5000
    elif case == "no timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif case == "no signature":
        del headers["X-Slack-Signature"]
    elif case == "not UTF-8":
        body = b"command=/order&text=" + "20-RD12H é".encode("latin-1")
        headers = signed(body)
    elif case == "percent-encoded not UTF-8":
        body = b"command=/order&text=20-RD12H%E9"
        headers = signed(body)
    elif case == "JSON that does not parse":
        body = b'{"type": "event_callback",'
        headers = signed(body, "application/json")
    elif case == "a JSON array":
        body = b"[1, 2]"
        headers = signed(body, "application/json")
    elif case.startswith("payload"):
        payload = {"payload not JSON": "{nope", "payload a list": "[1]", "payload a number": "5"}
        body = urlencode({"payload": payload[case]}).encode()
        headers = signed(body)
    elif case == "plain text":
        body = b"hello"
        headers = signed(body, "text/plain")

    with caplog.at_level(logging.WARNING, logger="orderbot.slack"):
        assert await post_raw(served, body, headers) == status
        await served.endpoint.drain(1.0)
    assert len(refusals(caplog)) == 1 and reason in refusals(caplog)[0]
    assert seen == [] and failures == []
    assert len(served.endpoint._work) == 0


async def test_ssl_check_gets_200_before_the_signature_and_nothing_else_does(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[object] = []

    @served.app.command("/order")
    async def order(ack, command) -> None:
        seen.append(command)
        await ack()

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # What Slack sends to an HTTP request URL, unsigned.
    assert await post_raw(served, b"ssl_check=1&token=legacy-token", form) == 200
    with caplog.at_level(logging.WARNING, logger="orderbot.slack"):
        for body, headers in (
            (b"ssl_check=2&token=t", form),
            (b"ssl_check=1 &token=t", form),
            (b"ssl_check=true", form),
            (b"ssl_check=1&ssl_check=1", form),
            (b"ssl_check=1", {"Content-Type": "application/json"}),
            (COMMAND.encode(), form),
        ):
            assert await post_raw(served, body, headers) in (400, 401), body
    assert len(refusals(caplog)) == 6
    # ssl_check never runs a listener, even with a command in the same form.
    both = f"ssl_check=1&{COMMAND}".encode()
    assert await post_raw(served, both, form) == 200
    await served.endpoint.drain(1.0)
    assert seen == []
