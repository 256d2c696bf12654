"""The stand-in refuses what Slack refuses: empty and oversized messages, blocks over the
Block Kit limits, malformed blocks."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn, validate_blocks
from bot.sandbox.slack.texts import text_objects
from tests.sandbox.slack.helpers import button, section


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_no_text_and_msg_too_long(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as empty:
        await client.chat_postMessage(channel="C0GENERAL", text="")
    with pytest.raises(SlackApiError) as long:
        await client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001)
    assert empty.value.response["error"] == "no_text"
    assert long.value.response["error"] == "msg_too_long"


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


async def test_blocks_exactly_at_the_limits_pass_every_block_check(
    client: AsyncWebClient,
) -> None:
    blocks = at_limits()
    assert validate_blocks(blocks) == []
    # Together they carry far more than 12,000 characters of text: Slack says so.
    with pytest.raises(SlackApiError, match="msg_blocks_too_long"):
        await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=blocks)
    for block in blocks:  # the same blocks with short texts are taken
        for obj in text_objects(block):
            obj["text"] = obj["text"][:10]
    response = await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=blocks)
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


def _sections(total: int) -> list[dict[str, Any]]:
    """Sections of at most 3,000 characters whose texts add up to ``total``."""
    sizes = [3000] * (total // 3000) + ([total % 3000] if total % 3000 else [])
    return [section("x" * n) for n in sizes]


async def test_more_than_12000_characters_of_block_text_is_msg_blocks_too_long(
    standin: SlackStandIn, client: AsyncWebClient
) -> None:
    """Every way of posting refuses it, as Slack refuses chat.postMessage (bolt-js#2509)."""
    at_limit, over = _sections(12_000), _sections(12_001)
    assert validate_blocks(over) == []  # each block is fine: it is the sum that is too much
    posted = await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=at_limit)
    assert posted["ok"]
    for call in (
        lambda: client.chat_postMessage(channel="C0GENERAL", text="t", blocks=over),
        lambda: client.chat_postEphemeral(channel="C0GENERAL", user="U0A", text="t", blocks=over),
        lambda: client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="t", blocks=over),
    ):
        with pytest.raises(SlackApiError) as refused:
            await call()
        assert refused.value.response["error"] == "msg_blocks_too_long"
    url = standin.new_response_url(channel_id="C0GENERAL", user_id="U0ALICE")
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"text": "t", "blocks": over}) as answer:
            assert (answer.status, await answer.text()) == (400, "msg_blocks_too_long")
        async with http.post(url, json={"text": "t", "blocks": at_limit}) as answer:
            assert answer.status == 200
    assert [m.block_text for m in standin.messages] == [12_000, 12_000]


async def test_button_labels_and_confirm_dialogs_count_too(client: AsyncWebClient) -> None:
    confirm = {
        "title": {"type": "plain_text", "text": "t" * 100},
        "text": {"type": "mrkdwn", "text": "d" * 300},
    }
    actions = {"type": "actions", "elements": [button("b" * 75, "go", confirm=confirm)]}
    blocks = [*_sections(12_000 - 475), actions]
    assert (await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=blocks))["ok"]
    with pytest.raises(SlackApiError, match="msg_blocks_too_long"):
        await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=[section("x"), *blocks])
