"""chat.* on the stand-in: posting by channel ID or name, channels that do not exist or do not
have the bot, ephemeral messages, updates and deletes."""

from __future__ import annotations

import re

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn
from tests.sandbox.slack.helpers import section


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
