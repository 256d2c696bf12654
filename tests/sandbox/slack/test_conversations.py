"""Reading a channel back on the stand-in: message metadata, ``conversations.history`` and
``conversations.replies`` with Slack's rules (IDs only, scopes by channel type, windows,
pages, metadata only when asked for)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn

META = {"event_type": "orderbot_outbox", "event_payload": {"outbox_id": 7, "db": "x"}}


async def test_metadata_is_kept_and_returned_only_when_asked_for(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="#orders", text="alert", metadata=META)
    assert posted["message"]["metadata"] == META
    assert standin.messages[-1].metadata == META

    plain = await client.conversations_history(channel="C0ORDERS")
    assert [m["text"] for m in plain["messages"]] == ["alert"]
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel="C0ORDERS", include_all_metadata=True)
    assert full["messages"][0]["metadata"] == META
    assert full["messages"][0]["ts"] == posted["ts"]


async def test_invalid_metadata_is_ignored_with_a_warning_or_refused_when_not_json(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    bad_type = {"event_type": "orderbot.outbox", "event_payload": {"outbox_id": 1}}
    answer = await client.chat_postMessage(channel="C0GENERAL", text="x", metadata=bad_type)
    assert answer["warning"] == "invalid_metadata_schema"
    assert standin.messages[-1].metadata is None  # posted, without the metadata
    with pytest.raises(SlackApiError) as refused:
        await client.api_call(
            "chat.postMessage", params={"channel": "C0GENERAL", "text": "y", "metadata": "{no"}
        )
    assert refused.value.response["error"] == "invalid_metadata_format"
    assert len(standin.messages) == 1


async def test_history_needs_a_channel_id_and_the_bot_in_the_channel(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="#orders", text="alert")  # names work for posting
    for name in ("orders", "#orders"):
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_history(channel=name)
        assert refused.value.response["error"] == "channel_not_found"
    standin.not_in_channels.add("C0ORDERS")
    with pytest.raises(SlackApiError) as outside:
        await client.conversations_history(channel="C0ORDERS")
    assert outside.value.response["error"] == "not_in_channel"


async def test_history_scopes_depend_on_the_kind_of_channel() -> None:
    standin = SlackStandIn(
        channels={"public": "C0PUBLIC", "private": "G0PRIVATE"},
        scopes=("chat:write", "commands", "groups:history"),
    )
    async with standin:
        client = AsyncWebClient(token=standin.bot_token, base_url=standin.api_url)
        await client.conversations_history(channel="G0PRIVATE")
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_history(channel="C0PUBLIC")
        assert refused.value.response["error"] == "missing_scope"
        assert refused.value.response["needed"] == "channels:history"
        with pytest.raises(SlackApiError) as replies:
            await client.conversations_replies(channel="C0PUBLIC", ts="1.000001")
        assert replies.value.response["error"] == "missing_scope"


async def test_history_window_order_and_pages(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    stamps = [
        (await client.chat_postMessage(channel="C0GENERAL", text=f"m{i}"))["ts"] for i in range(5)
    ]
    reply = await client.chat_postMessage(channel="C0GENERAL", text="r", thread_ts=stamps[0])
    newest_first = await client.conversations_history(channel="C0GENERAL")
    assert [m["text"] for m in newest_first["messages"]] == ["m4", "m3", "m2", "m1", "m0"]
    assert newest_first["messages"][-1]["reply_count"] == 1  # the thread parent
    assert newest_first["messages"][-1]["latest_reply"] == reply["ts"]

    after = await client.conversations_history(channel="C0GENERAL", oldest=stamps[2])
    assert [m["text"] for m in after["messages"]] == ["m4", "m3"]
    inclusive = await client.conversations_history(
        channel="C0GENERAL", oldest=stamps[2], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m4", "m3", "m2"]

    first = await client.conversations_history(channel="C0GENERAL", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.conversations_history(channel="C0GENERAL", limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]
    with pytest.raises(SlackApiError) as bad:
        await client.conversations_history(channel="C0GENERAL", cursor="nonsense!")
    assert bad.value.response["error"] == "invalid_cursor"
    with pytest.raises(SlackApiError) as bad_ts:
        await client.conversations_history(channel="C0GENERAL", oldest="yesterday")
    assert bad_ts.value.response["error"] == "invalid_ts_oldest"


async def test_replies_list_the_parent_then_the_thread_with_metadata(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C0GENERAL", text="card")
    for i in range(3):
        await client.chat_postMessage(
            channel="C0GENERAL",
            text=f"reply {i}",
            thread_ts=parent["ts"],
            metadata={"event_type": "orderbot_outbox", "event_payload": {"outbox_id": i}},
        )
    answer = await client.conversations_replies(
        channel="C0GENERAL", ts=parent["ts"], include_all_metadata=True
    )
    texts = [m["text"] for m in answer["messages"]]
    assert texts == ["card", "reply 0", "reply 1", "reply 2"]
    assert [m.get("metadata", {}).get("event_payload") for m in answer["messages"][1:]] == [
        {"outbox_id": 0},
        {"outbox_id": 1},
        {"outbox_id": 2},
    ]
    # Replies are not in the channel's history, unless broadcast.
    history = await client.conversations_history(channel="C0GENERAL")
    assert [m["text"] for m in history["messages"]] == ["card"]
    await client.chat_postMessage(
        channel="C0GENERAL", text="shout", thread_ts=parent["ts"], reply_broadcast=True
    )
    history = await client.conversations_history(channel="C0GENERAL")
    assert [m["text"] for m in history["messages"]] == ["shout", "card"]
    with pytest.raises(SlackApiError) as missing:
        await client.conversations_replies(channel="C0GENERAL", ts="1.000001")
    assert missing.value.response["error"] == "thread_not_found"


async def test_an_updated_message_is_read_back_in_its_current_version(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="v1", metadata=META)
    newer = {"event_type": "orderbot_outbox", "event_payload": {"outbox_id": 8}}
    await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v2", metadata=newer)
    answer = await client.conversations_history(channel="C0GENERAL", include_all_metadata=True)
    (message,) = answer["messages"]
    assert message["text"] == "v2" and message["metadata"] == newer
