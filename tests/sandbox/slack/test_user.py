"""SlackUser: requests signed as Slack signs them, checked by slack_sdk and by a real Bolt app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
import pytest_asyncio
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.sandbox.slack import SlackStandIn, SlackUser, sign

SECRET = "sandbox-signing-secret"

COMMAND_FIELDS = {
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "api_app_id",
    "is_enterprise_install",
    "response_url",
    "trigger_id",
}

WAVE_BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Hello!"}},
    {
        "type": "actions",
        "block_id": "greeting",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Wave back"},
                "action_id": "wave",
                "value": "42",
                "style": "primary",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Delete"},
                "action_id": "delete",
                "value": "d",
                "style": "danger",
                "confirm": {
                    "title": {"type": "plain_text", "text": "Sure?"},
                    "text": {"type": "plain_text", "text": "Really delete?"},
                    "confirm": {"type": "plain_text", "text": "Delete"},
                    "deny": {"type": "plain_text", "text": "Keep"},
                },
            },
        ],
    },
]


@dataclass
class Served:
    url: str
    requests: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/slack/events"


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as server:
        yield server


@pytest_asyncio.fixture
async def capture() -> AsyncIterator[Served]:
    """An app that only records what reaches it (to inspect bodies and signatures)."""
    served = Served(url="")

    async def handle(request: web.Request) -> web.Response:
        served.requests.append((await request.read(), dict(request.headers)))
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner, served.url = await serve(app)
    yield served
    await runner.cleanup()


def build_bolt_app(standin: SlackStandIn, served: Served) -> AsyncApp:
    """A minimal real Bolt app configured the way orderbot must be: every Web API call,
    auth.test included, goes to SLACK_API_URL (the stand-in)."""
    app = AsyncApp(
        client=AsyncWebClient(token=standin.bot_token, base_url=standin.api_url),
        signing_secret=SECRET,
    )

    @app.command("/hello")
    async def hello(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack("Working on it")
        await respond(text=f"Hello <@{command['user_id']}>", blocks=WAVE_BLOCKS)

    @app.command("/slow")
    async def slow(ack: Any) -> None:
        await asyncio.sleep(0.5)
        await ack()

    @app.action("wave")
    async def wave(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        served.actions.append(body)
        await respond(text=f"<@{body['user']['id']}> waved", replace_original=True)

    return app


@pytest_asyncio.fixture
async def bolt(standin: SlackStandIn) -> AsyncIterator[Served]:
    served = Served(url="")
    app = build_bolt_app(standin, served)
    runner, served.url = await serve(app.web_app(path="/slack/events"))
    yield served
    await runner.cleanup()


def alice(standin: SlackStandIn, url: str | None, **kwargs: Any) -> SlackUser:
    return SlackUser(standin, app_url=url, signing_secret=SECRET, **kwargs)


# ---- signatures and payload shapes ------------------------------------------------------


def test_sign_matches_slack_sdk() -> None:
    body = b"token=x&text=20-RD12H"
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1700000000", body=body)
    assert sign(SECRET, 1700000000, body) == expected


async def test_command_is_signed_and_shaped_like_slack(
    standin: SlackStandIn, capture: Served
) -> None:
    user = alice(standin, capture.url)
    result = await user.command("/order", "20-RD12H")
    assert result.status == 200 and not result.timed_out

    body, headers = capture.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert set(fields) == COMMAND_FIELDS
    assert fields["command"] == "/order" and fields["text"] == "20-RD12H"
    assert (fields["user_id"], fields["user_name"]) == ("U0ALICE", "alice")
    assert (fields["channel_id"], fields["channel_name"]) == ("C0GENERAL", "general")
    assert (fields["team_id"], fields["api_app_id"]) == ("T0ORDERBOT", standin.app_id)
    assert fields["is_enterprise_install"] == "false"
    assert fields["response_url"] == result.response_url
    assert fields["response_url"].startswith(f"{standin.url}/response/")
    assert len(fields["trigger_id"].split(".")) == 3


async def test_forged_and_stale_signatures_do_not_verify(
    standin: SlackStandIn, capture: Served
) -> None:
    user = alice(standin, capture.url)
    await user.command("/order", "x", forge_signature=True)
    await user.command("/order", "x", age=600)
    await user.command("/order", "x", age=60)
    verifier = SignatureVerifier(SECRET)
    assert [verifier.is_valid_request(b, h) for b, h in capture.requests] == [False, False, True]


async def test_press_sends_a_block_actions_payload(standin: SlackStandIn, capture: Served) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=standin.api_url)
    await client.chat_postMessage(channel="C0GENERAL", text="greeting", blocks=WAVE_BLOCKS)
    message = standin.messages[-1]
    user = alice(standin, capture.url)

    result = await user.press(message, "Wave back")
    assert result is not None and result.status == 200
    body, headers = capture.requests[-1]
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": "U0ALICE",
        "username": "alice",
        "name": "alice",
        "team_id": "T0ORDERBOT",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C0GENERAL", "name": "general"}
    assert payload["message"]["ts"] == message.ts  # Slack includes non-ephemeral messages
    assert payload["state"] == {"values": {}} and payload["enterprise"] is None
    assert payload["response_url"] == result.response_url
    (action,) = payload["actions"]
    assert {k: action[k] for k in ("action_id", "block_id", "value", "style", "type")} == {
        "action_id": "wave",
        "block_id": "greeting",
        "value": "42",
        "style": "primary",
        "type": "button",
    }
    assert action["text"] == {"type": "plain_text", "text": "Wave back", "emoji": True}

    # by action_id too; cancelling a confirm dialog sends nothing
    assert await user.press(message, "delete", confirm=False) is None
    assert len(capture.requests) == 1
    assert await user.press(message, "delete") is not None
    assert len(capture.requests) == 2


async def test_press_on_an_ephemeral_reply(standin: SlackStandIn, capture: Served) -> None:
    url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
    await AsyncWebhookClient(url).send(text="prompt", blocks=WAVE_BLOCKS)
    prompt = standin.messages[-1]
    result = await alice(standin, capture.url).press(prompt, "wave")
    assert result is not None
    assert result.payload["container"]["is_ephemeral"] is True
    assert "message" not in result.payload  # Slack omits the message for ephemeral ones

    await AsyncWebhookClient(result.response_url).send(text="done", replace_original=True)
    reply = await result.reply(timeout=1)
    assert reply.replaces == prompt.id


# ---- against a real Bolt app over HTTP ---------------------------------------------------


async def test_bolt_command_acks_and_responds_through_the_standin(
    standin: SlackStandIn, bolt: Served
) -> None:
    result = await alice(standin, bolt.url).command("/hello")
    assert (result.status, result.body) == (200, "Working on it")
    assert result.elapsed < 3
    assert result.ack_message is not None
    assert (result.ack_message.kind, result.ack_message.text) == ("ack", "Working on it")

    reply = await result.reply(timeout=5)
    assert (reply.kind, reply.text, reply.user) == ("response", "Hello <@U0ALICE>", "U0ALICE")
    assert reply.is_ephemeral and reply.channel == "C0GENERAL"
    assert "[Wave back] (press wave)" in reply.render()
    assert [c.method for c in standin.calls] == ["auth.test"]  # Bolt authorised via the stand-in


async def test_bolt_action_listener_gets_the_press_and_replaces_the_prompt(
    standin: SlackStandIn, bolt: Served
) -> None:
    user = alice(standin, bolt.url)
    prompt = await (await user.command("/hello")).reply()
    pressed = await user.press(prompt, "Wave back")
    assert pressed is not None and pressed.status == 200
    outcome = await pressed.reply()
    assert outcome.text == "<@U0ALICE> waved"
    assert outcome.replaces == prompt.id and outcome.ts == prompt.ts
    assert bolt.actions[0]["actions"][0]["value"] == "42"

    # someone else pressing the same button: the app sees who it really was
    other = await user.as_user("U0BOB", "bob").press(prompt, "wave")
    assert other is not None and other.status == 200
    await other.reply()
    assert bolt.actions[-1]["user"]["id"] == "U0BOB"


async def test_bolt_refuses_forged_and_stale_requests(standin: SlackStandIn, bolt: Served) -> None:
    user = alice(standin, bolt.url)
    forged = await user.command("/hello", forge_signature=True)
    stale = await user.command("/hello", age=600)
    assert (forged.status, stale.status) == (401, 401)
    assert forged.ack_message is None and standin.messages == []


async def test_slow_ack_is_a_timeout_as_slack_sees_it(standin: SlackStandIn, bolt: Served) -> None:
    result = await alice(standin, bolt.url, ack_timeout=0.2).command("/slow")
    assert result.timed_out and result.status is None


# ---- against a real Bolt app over Socket Mode --------------------------------------------


async def test_bolt_socket_mode_command_and_press(standin: SlackStandIn) -> None:
    served = Served(url="")
    app = build_bolt_app(standin, served)
    handler = AsyncSocketModeHandler(app, standin.app_token)
    await handler.connect_async()
    try:
        await standin.wait_connections(1)
        user = alice(standin, None)
        result = await user.command("/hello", via_socket=True)
        assert result.status == 200
        assert result.ack == {
            "envelope_id": result.ack["envelope_id"],
            "payload": {"text": "Working on it"},
        }
        assert result.ack_message is not None and result.ack_message.text == "Working on it"
        prompt = await result.reply()
        assert prompt.text == "Hello <@U0ALICE>"

        pressed = await user.press(prompt, "wave", via_socket=True)
        assert pressed is not None and pressed.status == 200
        assert (await pressed.reply()).replaces == prompt.id
        assert served.actions[0]["type"] == "block_actions"
        assert standin.calls_to("apps.connections.open")[0].ok
    finally:
        await handler.close_async()


async def test_user_in_another_channel(standin: SlackStandIn, capture: Served) -> None:
    user = alice(standin, capture.url).in_channel("#ops")
    result = await user.command("/order", "help")
    assert result.payload["channel_name"] == "ops"
    assert result.payload["channel_id"] == standin.channels["ops"]
    with pytest.raises(ValueError, match="app_url"):
        await alice(standin, None).command("/order")
