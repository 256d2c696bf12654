"""Socket Mode on the stand-in, with slack_sdk's SocketModeClient: hello, acks, pings, going
silent, disconnect messages and closes."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn, SocketModeTimeout


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
