"""The Slack workspace the app is installed in, as the stand-in keeps it.

``Workspace`` is the state every part of the stand-in serves: who Slack says the team, the
app and the bot are, the app's tokens and scopes, where this Slack listens, its channels,
every message the app made Slack show (``messages``, and the current version of each live
one) and every Web API call (``calls``). Tests wait on it for what the app sends.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from bot.clock import Clock, utc_now
from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.messages import ApiCall, Message, with_ids

log = logging.getLogger(__name__)

DEFAULT_CHANNELS: dict[str, str] = {"general": "C0GENERAL"}
#: The bot scopes of orderbot's manifest: what the app has unless a test gives ``scopes``.
DEFAULT_SCOPES: tuple[str, ...] = ("channels:history", "chat:write", "commands", "groups:history")

MessageCallback = Callable[[Message], Awaitable[None] | None]


class Workspace:
    """One Slack team with the app installed: identity, channels and what the app sent."""

    team_id = "T0ORDERBOT"
    team_name = "orderbot-sandbox"
    team_url = "https://orderbot-sandbox.slack.com/"
    app_id = "A0ORDERBOT"
    bot_id = "B0ORDERBOT"
    bot_user_id = "U0ORDERBOT"
    bot_user_name = "orderbot"
    verification_token = "sandbox-verification-token"  # noqa: S105 - Slack's legacy field

    def __init__(
        self,
        bot_token: str = "xoxb-test",  # noqa: S107 - the sandbox's own fake token
        app_token: str = "xapp-test",  # noqa: S107
        channels: Mapping[str, str] | None = None,
        auto_create_channels: bool = True,
        *,
        clock: Clock = utc_now,
        host: str = "127.0.0.1",
        port: int = 0,
        scopes: Iterable[str] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        #: Tokens revoked in the app's settings (``revoke``): Slack no longer knows them.
        self.revoked: set[str] = set()
        self.auto_create_channels = auto_create_channels
        self.clock = clock
        self.host = host
        self.port = port
        self.scopes: tuple[str, ...] | None = tuple(scopes) if scopes is not None else None
        self.channels: dict[str, str] = dict(DEFAULT_CHANNELS if channels is None else channels)
        self.missing_channels: set[str] = set()
        self.not_in_channels: set[str] = set()
        #: Seconds every Web API answer waits after the method ran (0: none).
        self.latency = 0.0

        self.messages: list[Message] = []
        self.calls: list[ApiCall] = []
        self.on_message: list[MessageCallback] = []
        #: The current version of every message still shown: (channel, ts) -> message.
        self.live: dict[tuple[str, str], Message] = {}

        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._by_id: dict[str, Message] = {}
        self._changed = asyncio.Event()

    def revoke(self, token: str) -> None:
        """Revoke a token as the app's owner would (Basic Information > App-Level Tokens >
        Revoke, or reinstalling the app): every call with it then gets ``invalid_auth``."""
        self.revoked.add(token)

    def knows(self, token: object) -> bool:
        """True for the app's tokens that have not been revoked."""
        return token in (self.bot_token, self.app_token) and token not in self.revoked

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``SLACK_API_URL`` is set to (with the trailing slash slack_sdk needs)."""
        return f"{self.url}/api/"

    # ---- channels --------------------------------------------------------------------

    def channel_id(self, name_or_id: str) -> str:
        """The ID of a known channel, by ``name``, ``#name`` or ID (creating it if allowed)."""
        try:
            return self.resolve_channel(name_or_id, check_membership=False)
        except ApiError as exc:
            raise LookupError(f"no channel {name_or_id!r} in the Slack stand-in") from exc

    def channel_name(self, channel_id: str) -> str | None:
        for name, cid in self.channels.items():
            if cid == channel_id:
                return name
        return None

    def resolve_channel(self, value: object, *, check_membership: bool = True) -> str:
        raw = str(value or "").strip()
        if not raw:
            raise ApiError("channel_not_found")
        name = raw[1:] if raw.startswith("#") else raw
        if raw in self.missing_channels or name in self.missing_channels:
            raise ApiError("channel_not_found")
        if name in self.channels:
            channel_id = self.channels[name]
        elif name in self.channels.values():
            channel_id = name
        elif re.fullmatch(r"[UW][A-Z0-9]{2,}", name):
            channel_id = "D" + name[1:]  # a DM with that user, as Slack opens one
            self.channels.setdefault(f"@{name}", channel_id)
        elif not self.auto_create_channels:
            raise ApiError("channel_not_found")
        elif re.fullmatch(r"[CGD][A-Z0-9]{2,}", name):
            channel_id = name
            self.channels.setdefault(name.lower(), channel_id)
        else:
            channel_id = self._new_channel_id(name)
            self.channels[name] = channel_id
        if channel_id in self.missing_channels:
            raise ApiError("channel_not_found")
        if check_membership and (
            channel_id in self.not_in_channels or name in self.not_in_channels
        ):
            raise ApiError("not_in_channel")
        return channel_id

    def conversation(self, value: object) -> str:
        """The channel a ``conversations.*`` call names, which must be an ID (Slack looks up
        no names there, unlike ``chat.postMessage``), of a channel the bot is in."""
        raw = str(value or "").strip()
        known = raw in self.channels.values() and raw not in self.missing_channels
        if not known and not (
            self.auto_create_channels and re.fullmatch(r"[CGD][A-Z0-9]{2,}", raw)
        ):
            raise ApiError("channel_not_found")
        return self.resolve_channel(raw)

    def require_scope(self, needed: Iterable[str]) -> None:
        """``missing_scope`` unless the token has one of ``needed`` (checked only when the
        stand-in was given ``scopes``)."""
        needed = tuple(needed)
        if self.scopes is not None and not set(needed) & set(self.scopes):
            raise ApiError(
                "missing_scope",
                extra={"needed": ",".join(needed), "provided": ",".join(self.scopes)},
            )

    def _new_channel_id(self, name: str) -> str:
        base = "C0" + (re.sub(r"[^A-Z0-9]", "", name.upper())[:9] or "CHANNEL")
        candidate, n = base, 1
        while candidate in self.channels.values():
            n += 1
            candidate = f"{base}{n}"
        return candidate

    # ---- what the app sent -----------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def message(self, message_id: str) -> Message:
        return self._by_id[message_id]

    def current(self, message_id: str) -> Message | None:
        """The latest version of a message (after updates and replacements)."""
        message = self._by_id.get(message_id)
        if message is None:
            return None
        for later in self.messages[self.messages.index(message) + 1 :]:
            if later.replaces == message.id:
                message = later
        return message

    def message_json(self, message: Message, *, metadata: bool = True) -> dict[str, Any]:
        """The message as Slack's API returns it (and as block_actions payloads carry it);
        ``metadata=False`` leaves its metadata out, as ``conversations.history`` does unless
        asked with ``include_all_metadata``."""
        body: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": message.text,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": message.ts,
        }
        if message.blocks:
            body["blocks"] = message.blocks
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        if metadata and message.metadata:
            body["metadata"] = message.metadata
        return body

    # ---- waiting for what the app sends ---------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[Message], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline is what callers want to give
        *,
        start: int = 0,
    ) -> Message:
        """The first recorded message (from index ``start``, including ones already here)
        that satisfies ``predicate``; TimeoutError after ``timeout`` seconds."""
        index = start
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while index < len(self.messages):
                        message = self.messages[index]
                        index += 1
                        if predicate(message):
                            return message
                    await self.wait_change()
        except TimeoutError:
            seen = ", ".join(f"{m.id}:{m.kind}" for m in self.messages[start:]) or "none"
            raise TimeoutError(
                f"no matching Slack message within {timeout}s (messages seen: {seen})"
            ) from None

    async def wait_messages(self, n: int, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """Wait until at least ``n`` messages are recorded; return them all."""
        await self.wait_until(
            lambda: len(self.messages) >= n,
            timeout,
            lambda: f"expected {n} Slack messages within {timeout}s, got {len(self.messages)}",
        )
        return list(self.messages)

    async def wait_until(
        self,
        done: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - a deadline is what callers want to give
        failure: Callable[[], str],
    ) -> None:
        """Wait, woken by every change, until ``done()``; ``TimeoutError(failure())`` after
        ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not done():
                    await self.wait_change()
        except TimeoutError:
            raise TimeoutError(failure()) from None

    async def wait_change(self) -> None:
        """Wait until something is recorded or a Socket Mode connection opens or closes."""
        await self._changed.wait()

    def notify(self) -> None:
        """Wake everything waiting for a change."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- recording ------------------------------------------------------------------

    def next_ts(self) -> str:
        """A new message ``ts``: the clock in microseconds, later than every one before."""
        now_us = int(self.clock().timestamp() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    async def record(self, **fields: Any) -> Message:
        """Record a ``Message`` with these fields (and the ids Slack fills into its blocks),
        wake the waiters and tell the ``on_message`` callbacks."""
        blocks = fields.pop("blocks", None) or []
        message = Message(
            id=f"M{next(self._ids)}",
            blocks=with_ids(blocks) if blocks else [],
            channel_name=self.channel_name(fields["channel"]),
            **fields,
        )
        self.messages.append(message)
        self._by_id[message.id] = message
        self.notify()
        for callback in list(self.on_message):
            try:
                result = callback(message)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a broken printer must not change what Slack answers
                log.exception("on_message callback failed for %s", message.id)
        return message
