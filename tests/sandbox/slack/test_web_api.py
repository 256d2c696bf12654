"""The stand-in's Web API envelope, driven by slack_sdk's own clients: auth.test, form and
JSON calls, token errors and unknown methods."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn


async def test_auth_test_answers_like_slack(standin: SlackStandIn, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == standin.bot_user_id
    assert response["bot_id"] == standin.bot_id
    assert response["team_id"] == standin.team_id
    assert {"team", "url", "user"} <= set(response.data)  # type: ignore[arg-type]
    assert (
        response.headers["x-oauth-scopes"] == "channels:history,chat:write,commands,groups:history"
    )
    assert standin.calls[-1].method == "auth.test"


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
