"""A simulated person in a Slack workspace, whose requests reach the app as Slack sends them.

``SlackUser`` types slash commands and presses buttons. Over HTTP it POSTs to the app's request
URL with Slack's form bodies, headers and ``X-Slack-Signature`` (``sign``); over Socket Mode it
hands the same payloads to ``SlackStandIn.socket_send``. Like Slack, it gives the app 3 seconds
to acknowledge, shows the acknowledgement's body (recorded as an ``ack`` message), and gives
each request a fresh ``response_url`` on the stand-in, so ``await result.reply()`` is the
app's answer.

Slack refuses nothing on the user's side that the app must check itself, so the user can also
misbehave for tests: a forged signature, a timestamp older than Slack's 5 minute window, or a
different user pressing a button on someone else's (ephemeral) prompt.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.clock import Clock, utc_now
from bot.sandbox.slack.messages import Button, Message
from bot.sandbox.slack.socket_mode import SocketModeTimeout
from bot.sandbox.slack.standin import SlackStandIn

SLACK_ACK_DEADLINE = 3.0  # seconds Slack waits for an acknowledgement
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORGED_SECRET = "not-the-signing-secret"  # noqa: S105 - deliberately wrong, for tests


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:<timestamp>:<body>``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackRequestResult:
    """What happened to one command or button press: the app's acknowledgement, and a way
    to wait for what it sends to this request's ``response_url``."""

    standin: SlackStandIn = field(repr=False)
    response_url: str
    payload: dict[str, Any] = field(repr=False)
    status: int | None = None  # HTTP status of the ack (200 for a Socket Mode ack)
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    elapsed: float = 0.0
    timed_out: bool = False  # no ack within Slack's 3 seconds: Slack shows an error
    ack: dict[str, Any] | None = None  # the Socket Mode ack message
    ack_message: Message | None = None  # what Slack showed for the ack body, if anything

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    async def reply(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """The first message the app sent to this request's ``response_url``."""
        return await self.standin.wait_for(lambda m: m.response_url == self.response_url, timeout)

    async def replies(self, n: int, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """The first ``n`` messages the app sent to this request's ``response_url``."""
        found: list[Message] = []
        start = 0
        while len(found) < n:
            message = await self.standin.wait_for(
                lambda m: m.response_url == self.response_url, timeout, start=start
            )
            found.append(message)
            start = self.standin.messages.index(message) + 1
        return found


class SlackUser:
    """A workspace member who types slash commands and presses buttons."""

    def __init__(
        self,
        standin: SlackStandIn,
        app_url: str | None = None,
        signing_secret: str = "",
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        channel_id: str = "C0GENERAL",
        team_id: str = "T0ORDERBOT",
        clock: Clock = utc_now,
        *,
        team_domain: str | None = None,
        ack_timeout: float | None = SLACK_ACK_DEADLINE,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.standin = standin
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.user_id = user_id
        self.user_name = user_name
        self.channel_id = channel_id
        self.team_id = team_id
        self.team_domain = team_domain or standin.team_name
        self.clock = clock
        self.ack_timeout = ack_timeout
        self.session = session

    def as_user(self, user_id: str, user_name: str) -> SlackUser:
        """Another member of the same workspace, in the same channel."""
        other = copy.copy(self)
        other.user_id, other.user_name = user_id, user_name
        return other

    def in_channel(self, channel: str) -> SlackUser:
        """The same member, typing in another channel (by ID or name)."""
        other = copy.copy(self)
        other.channel_id = self.standin.channel_id(channel)
        return other

    @property
    def channel_name(self) -> str:
        return self.standin.channel_name(self.channel_id) or self.channel_id.lower()

    # ---- slash commands --------------------------------------------------------------

    def command_payload(self, command: str, text: str, response_url: str) -> dict[str, str]:
        """The fields of a slash command exactly as Slack sends them (all strings)."""
        return {
            "token": self.standin.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": self.channel_id,
            "channel_name": self.channel_name,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "command": command,
            "text": text,
            "api_app_id": self.standin.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": _trigger_id(),
        }

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        via_socket: bool = False,
        forge_signature: bool = False,
        age: float = 0.0,
    ) -> SlackRequestResult:
        """Type ``/command text``; returns once the app acknowledged (or Slack gave up).

        ``forge_signature`` signs with the wrong secret; ``age`` (seconds) back-dates the
        request timestamp (Slack's apps refuse anything older than 5 minutes)."""
        response_url = self.standin.new_response_url(
            channel_id=self.channel_id, user_id=self.user_id
        )
        payload = self.command_payload(command, text, response_url)
        if via_socket:
            result = await self._via_socket("slash_commands", payload, response_url)
        else:
            body = urlencode(payload).encode()
            result = await self._via_http(body, payload, response_url, forge_signature, age)
        result.ack_message = await self._show_ack(result)
        return result

    async def _show_ack(self, result: SlackRequestResult) -> Message | None:
        """Slack shows a slash command's ack body to the user as a message."""
        if result.status != 200:
            return None
        if result.ack is not None:
            shown = result.ack.get("payload")
        elif result.body and result.headers.get("Content-Type", "").startswith("application/json"):
            shown = result.json()
        else:
            shown = {"text": result.body} if result.body else None
        if not isinstance(shown, Mapping):
            return None
        return await self.standin.record_ack(response_url=result.response_url, payload=shown)

    # ---- buttons ---------------------------------------------------------------------

    def block_actions_payload(
        self, message: Message, button: Button, response_url: str
    ) -> dict[str, Any]:
        """The ``block_actions`` payload Slack sends when this user presses ``button``."""
        action: dict[str, Any] = {
            "action_id": button.action_id,
            "block_id": button.block_id,
            "text": {"type": "plain_text", "text": button.label, "emoji": True},
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if button.value is not None:
            action["value"] = button.value
        if button.style:
            action["style"] = button.style
        if button.url:
            action["url"] = button.url
        return self._actions_payload(message, action, response_url)

    def _actions_payload(
        self, message: Message, action: dict[str, Any], response_url: str
    ) -> dict[str, Any]:
        """A ``block_actions`` payload around one action of this user on ``message``."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": self.user_id,
                "username": self.user_name,
                "name": self.user_name,
                "team_id": self.team_id,
            },
            "api_app_id": self.standin.app_id,
            "token": self.standin.verification_token,
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": message.is_ephemeral,
            },
            "trigger_id": _trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {
                "id": message.channel,
                "name": self.standin.channel_name(message.channel) or message.channel.lower(),
            },
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        }
        if not message.is_ephemeral:
            payload["message"] = self.standin.message_json(message)
        return payload

    async def press(
        self,
        message: Message,
        button: str,
        *,
        via_socket: bool = False,
        forge_signature: bool = False,
        age: float = 0.0,
        confirm: bool = True,
    ) -> SlackRequestResult | None:
        """Press the button labelled (or with action_id) ``button`` in ``message``.

        A button with a ``confirm`` dialog is confirmed unless ``confirm=False``, in which
        case the user cancels the dialog: nothing reaches the app and None is returned."""
        found = message.button(button)
        if found.confirm and not confirm:
            return None
        response_url = self.standin.new_response_url(
            channel_id=message.channel, user_id=self.user_id, message_id=message.id
        )
        payload = self.block_actions_payload(message, found, response_url)
        if via_socket:
            return await self._via_socket("interactive", payload, response_url)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._via_http(body, payload, response_url, forge_signature, age)

    async def choose(
        self, message: Message, action_id: str, value: str, *, via_socket: bool = False
    ) -> SlackRequestResult:
        """Pick the option ``value`` of the static select ``action_id`` in ``message``, as
        Slack sends it (``selected_option``; Slack only lets a user pick an option offered)."""
        block_id, element = _select(message, action_id)
        options = {o.get("value"): o for o in element.get("options") or []}
        if value not in options:
            raise LookupError(f"{action_id} offers no option {value!r}: {sorted(options)}")
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": options[value],
            "action_ts": f"{time.time():.6f}",
        }
        if element.get("placeholder"):
            action["placeholder"] = element["placeholder"]
        response_url = self.standin.new_response_url(
            channel_id=message.channel, user_id=self.user_id, message_id=message.id
        )
        payload = self._actions_payload(message, action, response_url)
        if via_socket:
            return await self._via_socket("interactive", payload, response_url)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._via_http(body, payload, response_url, False, 0.0)

    # ---- delivery --------------------------------------------------------------------

    def signed_headers(
        self, body: bytes, *, forge_signature: bool = False, age: float = 0.0
    ) -> dict[str, str]:
        """The headers Slack sends with ``body``."""
        timestamp = int(self.clock().timestamp() - age)
        secret = FORGED_SECRET if forge_signature else self.signing_secret
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": SLACK_USER_AGENT,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(secret, timestamp, body),
        }

    async def _via_http(
        self,
        body: bytes,
        payload: dict[str, Any],
        response_url: str,
        forge_signature: bool,
        age: float,
    ) -> SlackRequestResult:
        if not self.app_url:
            raise ValueError("this SlackUser has no app_url; pass one, or use via_socket=True")
        headers = self.signed_headers(body, forge_signature=forge_signature, age=age)
        result = SlackRequestResult(self.standin, response_url, payload)
        started = time.perf_counter()
        session = self.session or aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.ack_timeout)
        try:
            async with session.post(
                self.app_url, data=body, headers=headers, timeout=timeout
            ) as response:
                result.status = response.status
                result.body = await response.text()
                result.headers = dict(response.headers)
        except TimeoutError:
            result.timed_out = True
        finally:
            result.elapsed = time.perf_counter() - started
            if self.session is None:
                await session.close()
        return result

    async def _via_socket(
        self, kind: str, payload: dict[str, Any], response_url: str
    ) -> SlackRequestResult:
        result = SlackRequestResult(self.standin, response_url, payload)
        started = time.perf_counter()
        try:
            ack = await self.standin.socket_send(kind, payload, timeout=self.ack_timeout or 60.0)
        except SocketModeTimeout:
            result.timed_out = True
        else:
            result.status = 200
            result.ack = ack
            if ack.get("payload") is not None:
                result.body = json.dumps(ack["payload"])
                result.headers = {"Content-Type": "application/json"}
        result.elapsed = time.perf_counter() - started
        return result


def _trigger_id() -> str:
    """A trigger_id shaped like Slack's (``<digits>.<digits>.<hex>``)."""
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"


__all__ = ["SLACK_ACK_DEADLINE", "SlackRequestResult", "SlackUser", "sign"]


def _select(message: Message, action_id: str) -> tuple[str, dict[str, Any]]:
    """The (block_id, element) of the static select ``action_id`` in ``message``."""
    for block in message.blocks:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if element.get("type") == "static_select" and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    raise LookupError(f"message {message.id} has no select {action_id!r}")
