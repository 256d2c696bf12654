"""The Slack stand-in, driven over loopback by slack_sdk's own clients."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.clock import ManualClock
from bot.sandbox.slack import Message, SlackStandIn, SocketModeTimeout, validate_blocks

START = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


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


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str, action_id: str, value: str = "v", **extra: Any) -> dict[str, Any]:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    return element | extra


# ---- Web API ---------------------------------------------------------------------------


async def test_auth_test_answers_like_slack(standin: SlackStandIn, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == standin.bot_user_id
    assert response["bot_id"] == standin.bot_id
    assert response["team_id"] == standin.team_id
    assert {"team", "url", "user"} <= set(response.data)  # type: ignore[arg-type]
    assert response.headers["x-oauth-scopes"] == "chat:write,commands"
    assert standin.calls[-1].method == "auth.test"


async def test_post_message_by_id_name_and_hash_name(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel="C0GENERAL", text="one")
    second = await client.chat_postMessage(channel="#orders", text="two")
    third = await client.chat_postMessage(channel="general", text="three", thread_ts=first["ts"])

    assert [first["channel"], second["channel"], third["channel"]] == [
        "C0GENERAL",
        "C0ORDERS",
        "C0GENERAL",
    ]
    timestamps = [first["ts"], second["ts"], third["ts"]]
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in timestamps)
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == 3
    assert first["message"]["text"] == "one" and first["message"]["bot_id"] == standin.bot_id

    assert [m.kind for m in standin.messages] == ["post", "post", "post"]
    assert [m.text for m in standin.messages] == ["one", "two", "three"]
    assert standin.messages[1].channel_name == "orders"
    assert standin.messages[2].thread_ts == first["ts"]
    assert [c.method for c in standin.calls_to("chat.postMessage")] == ["chat.postMessage"] * 3


async def test_form_encoded_calls_and_token_field(standin: SlackStandIn) -> None:
    blocks = '[{"type": "section", "text": {"type": "plain_text", "text": "hi"}}]'
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{standin.api_url}chat.postMessage",
            data={"token": "xoxb-test", "channel": "C0GENERAL", "blocks": blocks},
        ) as response,
    ):
        body = await response.json()
    assert response.status == 200 and body["ok"] is True
    assert standin.messages[-1].blocks[0]["text"]["text"] == "hi"
    assert "token" not in standin.calls[-1].args


async def test_new_channel_names_are_created_unless_disabled(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    response = await client.chat_postMessage(channel="#ops-alerts", text="x")
    assert standin.channels["ops-alerts"] == response["channel"]
    assert response["channel"].startswith("C")

    standin.auto_create_channels = False
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel="#nowhere", text="x")
    assert failure.value.response["error"] == "channel_not_found"


async def test_missing_channel_and_not_in_channel(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    standin.missing_channels.add("orders")
    standin.not_in_channels.add("C0GENERAL")
    with pytest.raises(SlackApiError) as missing:
        await client.chat_postMessage(channel="#orders", text="x")
    with pytest.raises(SlackApiError) as outside:
        await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert missing.value.response["error"] == "channel_not_found"
    assert missing.value.response.status_code == 200  # Slack answers errors with HTTP 200
    assert outside.value.response["error"] == "not_in_channel"
    assert standin.messages == []
    assert [c.error for c in standin.calls] == ["channel_not_found", "not_in_channel"]


@pytest.mark.parametrize(
    ("token", "method", "error"),
    [
        (None, "auth.test", "not_authed"),
        ("xoxb-wrong", "auth.test", "invalid_auth"),
        ("xapp-test", "chat.postMessage", "not_allowed_token_type"),
        ("xoxb-test", "apps.connections.open", "not_allowed_token_type"),
    ],
)
async def test_token_errors(
    standin: SlackStandIn, token: str | None, method: str, error: str
) -> None:
    client = AsyncWebClient(token=token, base_url=standin.api_url)
    with pytest.raises(SlackApiError) as failure:
        await client.api_call(method, json={"channel": "C0GENERAL", "text": "x"})
    assert failure.value.response["error"] == error
    assert standin.messages == []


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        await client.api_call("chat.teleport")
    assert failure.value.response.status_code == 404
    assert failure.value.response["error"] == "unknown_method"


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


async def test_post_ephemeral_update_and_delete(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="v1")
    updated = await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"] and updated["text"] == "v2"
    eph = await client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")
    await client.chat_delete(channel="C0GENERAL", ts=posted["ts"])

    post, update, ephemeral, delete = standin.messages
    assert (update.kind, update.replaces, update.text) == ("update", post.id, "v2")
    assert (ephemeral.kind, ephemeral.user, ephemeral.ts) == (
        "ephemeral",
        "U0ALICE",
        eph["message_ts"],
    )
    assert ephemeral.is_ephemeral
    assert (delete.kind, delete.replaces) == ("delete", update.id)

    # like Slack: an ephemeral message cannot be edited, a deleted one is gone
    for ts in (eph["message_ts"], posted["ts"]):
        with pytest.raises(SlackApiError) as failure:
            await client.chat_update(channel="C0GENERAL", ts=ts, text="nope")
        assert failure.value.response["error"] == "message_not_found"


async def test_update_without_blocks_keeps_the_blocks(
    client: AsyncWebClient, standin: SlackStandIn
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=[section("b")])
    await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="t2")
    assert standin.messages[-1].blocks[0]["text"]["text"] == "b"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_no_text_and_msg_too_long(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as empty:
        await client.chat_postMessage(channel="C0GENERAL", text="")
    with pytest.raises(SlackApiError) as long:
        await client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001)
    assert empty.value.response["error"] == "no_text"
    assert long.value.response["error"] == "msg_too_long"


# ---- Block Kit limits ---------------------------------------------------------------------


def at_limits() -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("s" * 3000),
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3000}] * 10},
        {
            "type": "actions",
            "elements": [button("b" * 75, f"a{i}", "v" * 2000) for i in range(25)],
        },
    ]
    blocks += [{"type": "divider"}] * (50 - len(blocks))
    return blocks


async def test_blocks_exactly_at_the_limits_are_accepted(client: AsyncWebClient) -> None:
    assert validate_blocks(at_limits()) == []
    response = await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=at_limits())
    assert response["ok"] is True


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda b: b.append({"type": "divider"}), "/blocks]"),
        (lambda b: b[0]["text"].update(text="h" * 151), "/blocks/0/text/text"),
        (lambda b: b[1]["text"].update(text="s" * 3001), "/blocks/1/text/text"),
        (lambda b: b[2]["fields"].append({"type": "mrkdwn", "text": "x"}), "/blocks/2"),
        (
            lambda b: b[3]["elements"].__setitem__(0, {"type": "mrkdwn", "text": "c" * 3001}),
            "/blocks/3/elements/0/text",
        ),
        (lambda b: b[4]["elements"].append(button("x", "extra")), "/blocks/4/elements"),
        (lambda b: b[4]["elements"][0].update(value="v" * 2001), "/blocks/4/elements/0/value"),
        (
            lambda b: b[4]["elements"][0]["text"].update(text="b" * 76),
            "/blocks/4/elements/0/text/text",
        ),
        (lambda b: b[4]["elements"][1].update(action_id="a0"), "/blocks/4/elements/1/action_id"),
        (lambda b: b.__setitem__(5, {"type": "carousel"}), "/blocks/5/type"),
    ],
    ids=[
        "51-blocks",
        "header-151",
        "section-3001",
        "11-fields",
        "context-3001",
        "26-actions",
        "value-2001",
        "label-76",
        "duplicate-action-id",
        "unknown-type",
    ],
)
async def test_blocks_over_the_limits_are_rejected_like_slack(
    standin: SlackStandIn, client: AsyncWebClient, change: Any, pointer: str
) -> None:
    blocks = at_limits()
    if pointer != "/blocks]":
        blocks = blocks[:49]
    change(blocks)
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=blocks)
    response = failure.value.response
    assert response.status_code == 200
    assert response["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer.rstrip(']')}" in e for e in response["errors"])
    assert response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert standin.messages == []


async def test_malformed_blocks_json(standin: SlackStandIn) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{standin.api_url}chat.postMessage",
            data={"channel": "C0GENERAL", "blocks": "[{not json"},
            headers={"Authorization": "Bearer xoxb-test"},
        ) as response,
    ):
        assert (await response.json())["error"] == "invalid_blocks_format"


# ---- response_url -----------------------------------------------------------------------


async def test_response_url_ephemeral_then_in_channel(standin: SlackStandIn) -> None:
    url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
    assert url.startswith(f"{standin.url}/response/")
    hook = AsyncWebhookClient(url)
    first = await hook.send(text="only you")
    second = await hook.send(text="everyone", response_type="in_channel")
    assert (first.status_code, first.body) == (200, "ok")
    assert second.status_code == 200

    mine, shared = standin.messages
    assert (mine.kind, mine.response_type, mine.user, mine.response_url) == (
        "response",
        "ephemeral",
        "U0ALICE",
        url,
    )
    assert mine.is_ephemeral and not shared.is_ephemeral
    assert shared.response_type == "in_channel"


async def test_response_url_replace_and_delete_original(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel="C0GENERAL", text="prompt", blocks=[section("p")]
    )
    prompt = standin.messages[-1]
    url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE", message_id=prompt.id)
    hook = AsyncWebhookClient(url)
    await hook.send(text="done", replace_original=True)
    replaced = standin.messages[-1]
    assert (replaced.replaces, replaced.ts, replaced.replace_original) == (
        prompt.id,
        posted["ts"],
        True,
    )
    assert replaced.response_type == "in_channel"  # keeps the original's audience
    assert "replaces M" in replaced.render()

    await hook.send_dict({"delete_original": True})
    deleted = standin.messages[-1]
    assert deleted.delete_original and deleted.replaces == replaced.id
    with pytest.raises(SlackApiError):  # gone for chat.update too
        await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="x")


async def test_response_url_allows_five_uses(standin: SlackStandIn) -> None:
    url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
    hook = AsyncWebhookClient(url)
    statuses = [(await hook.send(text=f"#{i}")).status_code for i in range(5)]
    sixth = await hook.send(text="#6")
    assert statuses == [200] * 5
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert len(standin.messages) == 5


async def test_response_url_expires_after_30_minutes() -> None:
    clock = ManualClock(START)
    async with SlackStandIn(clock=clock) as standin:
        url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
        clock.advance(minutes=29)
        assert (await AsyncWebhookClient(url).send(text="in time")).status_code == 200
        clock.advance(minutes=2)
        late = await AsyncWebhookClient(url).send(text="late")
        assert (late.status_code, late.body) == (404, "expired_url")


async def test_response_url_rejects_bad_blocks_and_unknown_urls(standin: SlackStandIn) -> None:
    url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
    bad = await AsyncWebhookClient(url).send(text="t", blocks=[section("x" * 3001)])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    unknown = await AsyncWebhookClient(f"{standin.url}/response/nope").send(text="t")
    assert unknown.status_code == 404
    assert standin.response_url_uses(url) == 0
    standin.down = True
    assert (await AsyncWebhookClient(url).send(text="t")).status_code == 503
    standin.down = False
    standin.fail("response_url", status=500)
    assert (await AsyncWebhookClient(url).send(text="t")).status_code == 500
    assert (await AsyncWebhookClient(url).send(text="t")).status_code == 200


# ---- waiting, callbacks, rendering -------------------------------------------------------


async def test_wait_for_and_callbacks(standin: SlackStandIn, client: AsyncWebClient) -> None:
    seen_sync: list[str] = []
    seen_async: list[str] = []

    async def remember(message: Message) -> None:
        seen_async.append(message.text)

    standin.on_message.extend([lambda m: seen_sync.append(m.text), remember])

    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C0GENERAL", text="first")
        await client.chat_postMessage(channel="C0GENERAL", text="second")

    task = asyncio.create_task(later())
    found = await standin.wait_for(lambda m: m.text == "second", timeout=2)
    assert found.text == "second"
    assert [m.text for m in await standin.wait_messages(2, timeout=1)] == ["first", "second"]
    await task
    assert seen_sync == seen_async == ["first", "second"]

    with pytest.raises(TimeoutError, match="messages seen"):
        await standin.wait_for(lambda m: m.text == "never", timeout=0.05)


async def test_render_shows_channel_text_fields_and_buttons(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Order 20-RD12H"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Hold: *credit* &lt;check&gt; <https://x.test|docs>",
            },
            "fields": [{"type": "mrkdwn", "text": "*Status*\nOn hold"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "asked by <@U0ALICE>"}]},
        {
            "type": "actions",
            "elements": [
                button("Delete order", "order_delete", style="danger"),
                {"type": "button", "text": {"type": "plain_text", "text": "Cancel"}},
            ],
        },
    ]
    await client.chat_postMessage(channel="#orders", text="fallback", blocks=blocks)
    text = standin.messages[-1].render()
    assert text.splitlines()[0].startswith("── #orders · message")
    assert "# Order 20-RD12H" in text
    assert "Hold: *credit* <check> docs (https://x.test)" in text
    assert "*Status* On hold" in text
    assert "asked by @U0ALICE" in text
    assert "[Delete order] (press order_delete)" in text
    # Slack fills in an action_id the app left out; the render offers whatever can be pressed
    cancel = standin.messages[-1].button("cancel")
    assert cancel.action_id and f"[Cancel] (press {cancel.action_id})" in text
    assert "fallback" not in text  # Slack shows the blocks; text is the notification fallback


async def test_button_lookup_error_lists_the_buttons(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(
        channel="C0GENERAL",
        text="t",
        blocks=[{"type": "actions", "elements": [button("Go", "go")]}],
    )
    with pytest.raises(LookupError, match="'Go' \\(go\\)"):
        standin.messages[-1].button("Stop")


# ---- Socket Mode ------------------------------------------------------------------------


async def open_socket_url(standin: SlackStandIn) -> str:
    response = await AsyncWebClient(base_url=standin.api_url).apps_connections_open(
        app_token="xapp-test"
    )
    return response["url"]


async def test_socket_hello_ping_and_go_silent(standin: SlackStandIn) -> None:
    url = await open_socket_url(standin)
    assert re.fullmatch(rf"ws://127\.0\.0\.1:{standin.port}/socket/\S+", url)
    async with aiohttp.ClientSession() as session, session.ws_connect(url, autoping=False) as ws:
        hello = await ws.receive_json(timeout=2)
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"]["app_id"] == standin.app_id
        assert standin.connections_opened == 1

        await ws.ping(b"sdk-ping-pong:1")
        pong = await ws.receive(timeout=2)
        assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"sdk-ping-pong:1")

        assert standin.go_silent() == 1
        await ws.ping(b"sdk-ping-pong:2")
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.3)
        assert not ws.closed  # still open, just dead
        with pytest.raises(SocketModeTimeout):
            await standin.socket_send("events_api", {"event": {}}, timeout=0.2)


async def test_socket_mode_client_receives_acks_and_reconnects_after_go_silent(
    standin: SlackStandIn,
) -> None:
    received: list[SocketModeRequest] = []

    async def listener(client: Any, request: SocketModeRequest) -> None:
        received.append(request)
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "on it"})
        )

    client = SocketModeClient(
        app_token="xapp-test",
        web_client=AsyncWebClient(base_url=standin.api_url),
        ping_interval=0.2,
    )
    client.socket_mode_request_listeners.append(listener)
    try:
        await client.connect()
        await standin.wait_connections(1)
        ack = await standin.socket_send("slash_commands", {"command": "/order", "text": "x"})
        assert ack["payload"] == {"text": "on it"}
        assert ack["envelope_id"] == received[0].envelope_id
        assert received[0].type == "slash_commands" and received[0].accepts_response_payload

        standin.go_silent()
        await standin.wait_connections(2, timeout=5)  # the client noticed and reconnected
        ack = await standin.socket_send("interactive", {"type": "block_actions"})
        assert "payload" in ack
        assert received[-1].type == "interactive"
        assert standin.calls_to("apps.connections.open")[-1].ok
    finally:
        await client.close()


async def test_disconnect_message_and_server_close_make_the_client_reconnect(
    standin: SlackStandIn,
) -> None:
    client = SocketModeClient(
        app_token="xapp-test",
        web_client=AsyncWebClient(base_url=standin.api_url),
        ping_interval=0.2,
    )
    try:
        await client.connect()
        await standin.wait_connections(1)
        assert await standin.send_disconnect() == 1
        await standin.wait_connections(2)
        assert await standin.disconnect_all() >= 1
        await standin.wait_connections(3)
    finally:
        await client.close()
