"""``manifest.yaml`` matches the app: the command, interactivity, Socket Mode, exactly the bot
scopes the code uses, and a registered listener for every command and button (and no other)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

import bot
from bot.ingram.models import Order, Suborder
from bot.sandbox.world import SandboxWorld
from bot.slack.app import COMMANDS
from bot.slack.blocks import ACTION_IDS
from bot.slack.cards import render_card
from bot.slack.lookups import lookup_message
from bot.slack.paging import PageRef
from bot.slack.prompts import delete_prompt_message
from bot.store import OrderView, SnapshotRow

ROOT = Path(bot.__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yaml"

#: Bot scopes each Web API method needs. A method the code starts calling must be added here
#: (and its scope to the manifest): the test fails until it is.
SCOPES_OF_METHOD: dict[str, set[str]] = {
    "auth_test": set(),
    "api_test": set(),
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_delete": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    # The notifier reads a channel back before re-posting an alert in doubt; a channel may be
    # public or private, so both history scopes.
    "conversations_history": {"channels:history", "groups:history"},
    "conversations_replies": {"channels:history", "groups:history"},
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_order_command_is_described(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/order"
    assert command["description"].strip() and len(command["description"]) <= 100
    hint = command["usage_hint"]
    assert "20-RD12H" in hint and "po" in hint and "delete" in hint and len(hint) <= 100
    assert tuple(c["command"] for c in manifest["features"]["slash_commands"]) == COMMANDS


def test_interactivity_and_socket_mode_are_on(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"]


def web_api_methods_called() -> set[str]:
    """Every ``AsyncWebClient`` method the bot's own code calls (the sandbox excluded)."""
    known = {name for name in dir(AsyncWebClient) if not name.startswith("_")}
    called: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        called |= set(re.findall(r"\.([a-z]+_[A-Za-z]+)\(", path.read_text())) & known
    return called


def test_the_bot_scopes_are_exactly_the_ones_the_code_uses(manifest: dict[str, Any]) -> None:
    methods = web_api_methods_called()
    assert "chat_postMessage" in methods  # the notifier's alerts
    unknown = methods - set(SCOPES_OF_METHOD)
    assert not unknown, f"add the bot scopes of {sorted(unknown)} to SCOPES_OF_METHOD"
    needed = {"commands"} | {scope for m in methods for scope in SCOPES_OF_METHOD[m]}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert len(manifest["oauth_config"]["scopes"]["bot"]) == len(needed)  # no duplicates


# --- listeners ---------------------------------------------------------------------------------


def action_ids_in_messages() -> set[str]:
    """The action_ids of every button the app's messages carry (answers in pages included:
    an order of 300 shipments, on its first and second page)."""
    when = datetime(2024, 5, 6, tzinfo=UTC)
    order = Order("20-11852", when, "PO-1", (Suborder("20-11852-11", "O", "", "IM", ""),))
    big = Order(
        "20-11853",
        when,
        "PO-2",
        tuple(Suborder(f"20-11853-{i}", "O", "", "IM", "X" * 200) for i in range(300)),
    )
    lookup, second = PageRef("lookup", "20-11853"), PageRef("lookup", "20-11853", 2)
    held = SnapshotRow("20-11852-11", "20-11852", "PO-1", "", "O", "", "IM", "", when, when, when)
    card = render_card(
        OrderView("20-11852", [held], when, None, None, None), headline="h", now=when
    )
    messages = [
        lookup_message(PageRef("lookup", "20-11852"), [order]),
        delete_prompt_message(order, "confirmation", when),
        lookup_message(lookup, [big]),
        lookup_message(second, [big]),
        card,
    ]
    return {
        element["action_id"]
        for message in messages
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def command_request(command: str) -> AsyncBoltRequest:
    body = urlencode({"command": command, "text": "help", "team_id": "T1", "user_id": "U1"})
    return AsyncBoltRequest(
        body=body, headers={"content-type": ["application/x-www-form-urlencoded"]}
    )


def action_request(action_id: str) -> AsyncBoltRequest:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": "v"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return AsyncBoltRequest(
        body=body, headers={"content-type": ["application/x-www-form-urlencoded"]}
    )


async def listeners_matching(app: AsyncApp, request: AsyncBoltRequest) -> list[object]:
    response = BoltResponse(status=200)
    return [
        listener
        for listener in app._async_listeners
        if await listener.async_matches(req=request, resp=response)
    ]


async def test_every_command_and_button_has_a_listener_and_every_listener_is_named(
    world: SandboxWorld, manifest: dict[str, Any]
) -> None:
    app = world.bot.app
    assert app is not None
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    actions = action_ids_in_messages()
    assert actions == set(ACTION_IDS)

    requests = {f"command {c}": command_request(c) for c in commands}
    requests |= {f"action {a}": action_request(a) for a in actions}
    matched: set[int] = set()
    for name, request in requests.items():
        found = await listeners_matching(app, request)
        assert len(found) == 1, f"{name} has {len(found)} listeners"
        matched.add(id(found[0]))
    unnamed = [listener for listener in app._async_listeners if id(listener) not in matched]
    assert unnamed == [], "a listener for a command or button the manifest/blocks never name"
    assert (await listeners_matching(app, command_request("/other"))) == []
    assert (await listeners_matching(app, action_request("not_ours"))) == []
