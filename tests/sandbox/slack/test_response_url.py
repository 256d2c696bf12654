"""response_urls on the stand-in: replies, replace and delete original, five uses, 30 minutes."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.clock import ManualClock
from bot.sandbox.slack import SlackStandIn
from tests.sandbox.slack.helpers import START, section


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
