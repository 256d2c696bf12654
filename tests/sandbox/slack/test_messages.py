"""What the stand-in records: waiting for messages, callbacks, rendering and button lookup."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import Message, SlackStandIn
from tests.sandbox.slack.helpers import button


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
    assert "*Status*: On hold" in text  # a field: its label, then its value
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
