"""A local stand-in for Slack: the Web API, ``response_url``s and a Socket Mode websocket.

Slack is never reachable from the tests, the benchmarks or ``orderbot demo``, so this server
plays the parts of Slack the app can observe, as closely as the app can tell:

* the Web API at ``POST {url}/api/<method>`` (what ``SLACK_API_URL`` points at), with Slack's
  ``{"ok": ..., "error": ...}`` envelope, HTTP statuses, token checks, channel errors,
  Block Kit limits (``invalid_blocks``), rate limiting (429 + ``Retry-After``) and outages;
* ``response_url``s (``{url}/response/<id>``): 5 uses within 30 minutes, replace/delete of the
  original message;
* Socket Mode: ``apps.connections.open`` hands out ``ws://.../socket/<n>``; the socket says
  ``hello``, delivers envelopes, waits for acks, answers pings, and can "go silent" like a
  long-running Socket Mode connection that has quietly died.

Everything the app sends is recorded in ``standin.messages`` (and every Web API call in
``standin.calls``) so tests can assert on it and the demo can print it (``Message.render``).

Block Kit limits enforced (from Slack's Block Kit reference; slack_sdk's models agree):
at most 50 blocks a message; ``block_id`` at most 255 characters and unique in the message;
any text object 1..3000 characters; section: text or fields, at most 10 fields of at most
2000 characters; header: plain_text, at most 150; context: 1..10 elements; actions: 1..25
elements, ``action_id`` unique in the block; button: plain_text label at most 75, ``action_id``
at most 255, ``value`` at most 2000, ``url`` at most 3000, style ``primary``/``danger``;
confirm dialog: title 100, text 300, confirm 30, deny 30; image: ``image_url`` 3000,
``alt_text`` 2000; unknown block types. Message ``text`` over 40,000 characters is refused
with ``msg_too_long``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.clock import Clock, utc_now

log = logging.getLogger(__name__)

DEFAULT_CHANNELS: dict[str, str] = {"general": "C0GENERAL"}
DEFAULT_SCOPES: tuple[str, ...] = ("chat:write", "commands")

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_LIFETIME = timedelta(minutes=30)

MAX_MESSAGE_TEXT = 40_000
MAX_BLOCKS = 50
MAX_BLOCK_ID = 255
MAX_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ALT_TEXT = 2000
MAX_CONFIRM = {"title": 100, "text": 300, "confirm": 30, "deny": 30}

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)

# Which bot scope each method needs (checked only when the stand-in is given ``scopes``).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "conversations.info": ("channels:read", "groups:read", "im:read", "mpim:read"),
}

_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

MessageCallback = Callable[["Message"], Awaitable[None] | None]


# --------------------------------------------------------------------------------------
# What gets recorded


@dataclass(frozen=True)
class Button:
    """A button found in a message's blocks (an ``actions`` element or a section accessory)."""

    label: str
    action_id: str
    block_id: str
    value: str | None = None
    style: str | None = None
    url: str | None = None
    confirm: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Message:
    """One message the app made Slack show (or change, or remove).

    ``kind`` is ``post`` (chat.postMessage), ``ephemeral`` (chat.postEphemeral), ``update``
    (chat.update), ``delete`` (chat.delete), ``response`` (a POST to a ``response_url``) or
    ``ack`` (the body of a slash command's acknowledgement, which Slack shows to the user).
    ``replaces`` is the id of the message this one replaced or deleted.
    """

    id: str
    kind: str
    channel: str
    user: str | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    ts: str | None = None
    response_type: str | None = None
    replace_original: bool = False
    delete_original: bool = False
    replaces: str | None = None
    channel_name: str | None = None
    response_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_ephemeral(self) -> bool:
        """Only one user can see it (chat.postEphemeral, or an ephemeral reply)."""
        if self.kind == "ephemeral":
            return True
        return self.kind in ("response", "ack") and self.response_type != "in_channel"

    def buttons(self) -> list[Button]:
        """Every button in the message, in display order."""
        found: list[Button] = []
        for block in self.blocks:
            elements: list[Any] = []
            if block.get("type") == "actions":
                elements = list(block.get("elements") or [])
            elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
                elements = [block["accessory"]]
            for element in elements:
                if isinstance(element, dict) and element.get("type") == "button":
                    found.append(_button(block, element))
        return found

    def button(self, key: str) -> Button:
        """The button whose ``action_id`` or label is ``key`` (labels match case-insensitively)."""
        buttons = self.buttons()
        for candidate in buttons:
            if key in (candidate.action_id, candidate.label):
                return candidate
        for candidate in buttons:
            if candidate.label.casefold() == key.casefold():
                return candidate
        names = ", ".join(f"{b.label!r} ({b.action_id})" for b in buttons) or "none"
        raise LookupError(f"message {self.id} has no button {key!r}; its buttons: {names}")

    @property
    def all_text(self) -> str:
        """The fallback text and every text in the blocks, one per line (for assertions)."""
        parts = [self.text] if self.text else []
        for block in self.blocks:
            parts.extend(_block_texts(block))
        return "\n".join(parts)

    def render(self) -> str:
        """The message as a person would read it in a terminal."""
        lines = [self._headline()]
        if self.kind != "delete":
            body = _render_blocks(self.blocks) if self.blocks else _readable(self.text).split("\n")
            lines.extend(f"  {line}" if line else "" for line in body)
        return "\n".join(lines).rstrip()

    def _headline(self) -> str:
        name = self.channel_name
        where = (name if name.startswith("@") else f"#{name}") if name else self.channel
        audience = f"only visible to {self.user}" if self.is_ephemeral else "in channel"
        heads = {
            "post": f"{where} · message",
            "ephemeral": f"{where} · message {audience}",
            "update": f"{where} · message edited",
            "delete": f"{where} · message deleted",
            "response": f"{where} · reply {audience}",
            "ack": f"{where} · immediate reply {audience}",
        }
        head = f"── {heads.get(self.kind, f'{where} · {self.kind}')} [{self.id}]"
        if self.thread_ts:
            head += f" in thread {self.thread_ts}"
        if self.replaces:
            verb = "deletes" if self.kind == "delete" or self.delete_original else "replaces"
            head += f" ({verb} {self.replaces})"
        elif self.replace_original or self.delete_original:
            head += " (no earlier message to replace)"
        return head


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the app made, and how the stand-in answered it."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None = None


@dataclass
class Fault:
    """A failure to inject: the next ``times`` calls of ``method`` get this answer."""

    method: str
    status: int
    error: str
    retry_after: int | None
    times: int | None  # None: until cleared

    def matches(self, method: str) -> bool:
        return self.times != 0 and self.method in (method, "*")


class SocketModeTimeout(TimeoutError):
    """No live Socket Mode connection took the envelope, or the app did not ack in time."""


# --------------------------------------------------------------------------------------
# Block Kit validation


class _ApiError(Exception):
    """An answer Slack gives instead of ``ok: true``."""

    def __init__(
        self,
        error: str,
        status: int = 200,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def parse_blocks(value: object) -> list[dict[str, Any]] | None:
    """Blocks as the app sent them (a list, or a JSON string in a form body); None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _ApiError("invalid_blocks_format") from None
    if not isinstance(value, list) or not all(isinstance(b, dict) for b in value):
        raise _ApiError("invalid_blocks_format")
    return value


def validate_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """What Slack would object to in these message blocks, worded like Slack's ``errors``."""
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        ptr = f"/blocks/{index}"
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID:
                errors.append(_too_long(MAX_BLOCK_ID, f"{ptr}/block_id"))
            elif block_id in block_ids:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{ptr}/block_id]")
            block_ids.add(str(block_id))
        kind = block.get("type")
        checker = _BLOCK_CHECKS.get(kind) if isinstance(kind, str) else None
        if kind not in KNOWN_BLOCK_TYPES:
            errors.append(f"unsupported type: {kind} [json-pointer:{ptr}/type]")
        elif checker is not None:
            checker(block, ptr, errors)
    return errors


def _too_long(limit: int, ptr: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{ptr}]"


def _check_text(
    obj: object,
    ptr: str,
    errors: list[str],
    *,
    limit: int = MAX_TEXT,
    plain_only: bool = False,
) -> None:
    if obj is None:
        errors.append(f"missing required field: text [json-pointer:{ptr}]")
        return
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        errors.append(f"must be a {' or '.join(allowed)} text object [json-pointer:{ptr}]")
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"must be more than 0 characters [json-pointer:{ptr}/text]")
    elif len(text) > limit:
        errors.append(_too_long(limit, f"{ptr}/text"))


def _check_length(value: object, limit: int, ptr: str, errors: list[str]) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        errors.append(_too_long(limit, ptr))


def _check_element(element: object, ptr: str, errors: list[str]) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        errors.append(f"must be a block element [json-pointer:{ptr}]")
        return
    _check_length(element.get("action_id"), MAX_ACTION_ID, f"{ptr}/action_id", errors)
    if element["type"] != "button":
        return
    _check_text(element.get("text"), f"{ptr}/text", errors, limit=MAX_BUTTON_TEXT, plain_only=True)
    _check_length(element.get("value"), MAX_BUTTON_VALUE, f"{ptr}/value", errors)
    _check_length(element.get("url"), MAX_URL, f"{ptr}/url", errors)
    if element.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{ptr}/style]")
    confirm = element.get("confirm")
    if confirm is not None:
        _check_confirm(confirm, f"{ptr}/confirm", errors)


def _check_confirm(confirm: object, ptr: str, errors: list[str]) -> None:
    if not isinstance(confirm, dict):
        errors.append(f"must be a confirmation dialog object [json-pointer:{ptr}]")
        return
    for key, limit in MAX_CONFIRM.items():
        part = confirm.get(key)
        if part is None and key in ("confirm", "deny"):
            continue
        _check_text(part, f"{ptr}/{key}", errors, limit=limit, plain_only=key != "text")
    if confirm.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{ptr}/style]")


def _check_section(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        errors.append(f"must provide either text or fields [json-pointer:{ptr}]")
    if text is not None:
        _check_text(text, f"{ptr}/text", errors)
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
            errors.append(f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{ptr}]")
        else:
            for i, item in enumerate(fields):
                _check_text(item, f"{ptr}/fields/{i}", errors, limit=MAX_SECTION_FIELD_TEXT)
    if block.get("accessory") is not None:
        _check_element(block["accessory"], f"{ptr}/accessory", errors)


def _check_header(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    _check_text(block.get("text"), f"{ptr}/text", errors, limit=MAX_HEADER_TEXT, plain_only=True)


def _check_context(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        errors.append(f"must provide at least 1 element [json-pointer:{ptr}/elements]")
        return
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        errors.append(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:{ptr}]")
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            _check_length(element.get("alt_text"), MAX_ALT_TEXT, f"{ptr}/elements/{i}", errors)
        else:
            _check_text(element, f"{ptr}/elements/{i}", errors)


def _check_actions(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        errors.append(f"must provide at least 1 element [json-pointer:{ptr}/elements]")
        return
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        errors.append(
            f"no more than {MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:{ptr}/elements]"
        )
    action_ids: set[str] = set()
    for i, element in enumerate(elements):
        _check_element(element, f"{ptr}/elements/{i}", errors)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in action_ids:
                errors.append(
                    f"duplicate action_id {action_id!r} [json-pointer:{ptr}/elements/{i}/action_id]"
                )
            action_ids.add(action_id)


def _check_image(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    _check_length(block.get("image_url"), MAX_URL, f"{ptr}/image_url", errors)
    _check_length(block.get("alt_text"), MAX_ALT_TEXT, f"{ptr}/alt_text", errors)


_BLOCK_CHECKS: dict[str, Callable[[dict[str, Any], str, list[str]], None]] = {
    "section": _check_section,
    "header": _check_header,
    "context": _check_context,
    "actions": _check_actions,
    "image": _check_image,
}


def _check_message(text: str, blocks: list[dict[str, Any]] | None, *, need_content: bool) -> None:
    """Raise the error Slack gives for a message body it will not show."""
    if need_content and not text and not blocks:
        raise _ApiError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise _ApiError("msg_too_long")
    if blocks:
        problems = validate_blocks(blocks)
        if problems:
            raise _ApiError(
                "invalid_blocks",
                extra={
                    "errors": problems,
                    "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
                },
            )


# --------------------------------------------------------------------------------------
# Rendering for a terminal

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def _readable(text: str) -> str:
    """Slack mrkdwn as a person would read it: links, mentions and entities resolved."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#")):
            return f"{target[0]}{label or target[1:]}"
        if target.startswith("!"):
            return label or "@" + target[1:].split("^", 1)[0]
        return f"{label} ({target})" if label else target

    text = _LINK.sub(link, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(obj: object) -> str:
    if isinstance(obj, dict):
        return _readable(str(obj.get("text") or ""))
    return ""


def _button_line(buttons: Iterable[Button]) -> str:
    parts = []
    for b in buttons:
        if b.url:
            parts.append(f"[{b.label}] (link {b.url})")
        else:
            parts.append(f"[{b.label}] (press {b.action_id or b.label})")
    return "   ".join(parts)


def _render_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"# {_text_of(block.get('text'))}")
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text_of(block["text"]).split("\n"))
            for item in block.get("fields") or []:
                lines.append("  " + _text_of(item).replace("\n", " "))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                lines.append(_button_line([_button(block, accessory)]))
        elif kind == "context":
            texts = [
                _text_of(e) if e.get("type") != "image" else f"[image: {e.get('alt_text', '')}]"
                for e in block.get("elements") or []
                if isinstance(e, dict)
            ]
            lines.append("> " + " · ".join(texts).replace("\n", " "))
        elif kind == "actions":
            buttons = [
                _button(block, e)
                for e in block.get("elements") or []
                if isinstance(e, dict) and e.get("type") == "button"
            ]
            if buttons:
                lines.append(_button_line(buttons))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        else:
            lines.extend(t for t in _block_texts(block) if t)
    return lines


def _block_texts(block: dict[str, Any]) -> list[str]:
    texts = []
    if isinstance(block.get("text"), dict):
        texts.append(str(block["text"].get("text") or ""))
    elif isinstance(block.get("text"), str):
        texts.append(block["text"])
    for item in block.get("fields") or []:
        texts.append(str(item.get("text") or "") if isinstance(item, dict) else "")
    for element in block.get("elements") or []:
        if isinstance(element, dict) and isinstance(element.get("text"), dict):
            texts.append(str(element["text"].get("text") or ""))
        elif isinstance(element, dict) and isinstance(element.get("text"), str):
            texts.append(element["text"])
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and isinstance(accessory.get("text"), dict):
        texts.append(str(accessory["text"].get("text") or ""))
    return texts


def _button(block: dict[str, Any], element: dict[str, Any]) -> Button:
    label = _text_of(element.get("text"))
    return Button(
        label=label,
        action_id=str(element.get("action_id") or ""),
        block_id=str(block.get("block_id") or ""),
        value=element.get("value"),
        style=element.get("style"),
        url=element.get("url"),
        confirm=element.get("confirm"),
        raw=element,
    )


def _with_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of the blocks with the block_id/action_id Slack generates where the app set none."""
    filled = json.loads(json.dumps(blocks))
    for block in filled:
        block.setdefault("block_id", secrets.token_urlsafe(3))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in (None, "image"):
                element.setdefault("action_id", secrets.token_urlsafe(3))
    return filled


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


# --------------------------------------------------------------------------------------
# Internal state


@dataclass
class _ResponseUrl:
    id: str
    channel_id: str
    user_id: str
    message_id: str | None
    created_at: float
    uses: int = 0
    last_message_id: str | None = None


@dataclass
class _Connection:
    number: int
    ws: web.WebSocketResponse
    silent: bool = False
    closed: bool = False


# --------------------------------------------------------------------------------------
# The server


class SlackStandIn:
    """A real aiohttp server on 127.0.0.1 that answers the app the way Slack would."""

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
        self.auto_create_channels = auto_create_channels
        self.clock = clock
        self.host = host
        self.port = port
        self.scopes: tuple[str, ...] | None = tuple(scopes) if scopes is not None else None
        self.channels: dict[str, str] = dict(DEFAULT_CHANNELS if channels is None else channels)
        self.missing_channels: set[str] = set()
        self.not_in_channels: set[str] = set()
        self.down = False

        self.messages: list[Message] = []
        self.calls: list[ApiCall] = []
        self.on_message: list[MessageCallback] = []
        self.faults: list[Fault] = []
        self.connections_opened = 0

        self._ids = itertools.count(1)
        self._tickets = itertools.count(1)
        self._hook_ids = itertools.count(1)
        self._last_ts_us = 0
        self._live: dict[tuple[str, str], Message] = {}  # (channel, ts) -> current version
        self._by_id: dict[str, Message] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._connections: list[_Connection] = []
        self._pending_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._open_tickets: set[str] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.info": self._conversations_info,
        }

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (again) on 127.0.0.1; after ``stop()`` it comes back on the same port."""
        if self._runner is not None:
            return
        app = web.Application()
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._api),
                web.post("/response/{id}", self._response),
                web.get("/socket/{ticket}", self._socket),
            ]
        )
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Close every socket and stop listening: clients get connection refused."""
        for connection in list(self._connections):
            await self._close(connection, WSCloseCode.GOING_AWAY)
        for future in self._pending_acks.values():
            if not future.done():
                future.set_exception(SocketModeTimeout("the Slack stand-in stopped"))
        self._pending_acks.clear()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``SLACK_API_URL`` is set to (with the trailing slash slack_sdk needs)."""
        return f"{self.url}/api/"

    # ---- test controls ---------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        error: str | None = None,
        retry_after: int | None = 1,
        times: int | None = 1,
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` fail (``"*"``: any method,
        ``"response_url"``: POSTs to response URLs; ``times=None``: until ``clear_faults``).

        429 carries ``Retry-After`` like Slack; the body is Slack's envelope with ``error``
        (default by status: ratelimited, internal_error, service_unavailable, fatal_error).
        """
        default = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}
        fault = Fault(
            method=method,
            status=status,
            error=error or default.get(status, "fatal_error"),
            retry_after=retry_after if status == 429 else None,
            times=times,
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def channel_id(self, name_or_id: str) -> str:
        """The ID of a known channel, by ``name``, ``#name`` or ID (creating it if allowed)."""
        try:
            return self._resolve_channel(name_or_id, check_membership=False)
        except _ApiError as exc:
            raise LookupError(f"no channel {name_or_id!r} in the Slack stand-in") from exc

    def channel_name(self, channel_id: str) -> str | None:
        for name, cid in self.channels.items():
            if cid == channel_id:
                return name
        return None

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def message(self, message_id: str) -> Message:
        return self._by_id[message_id]

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
                    await self._wait_change()
        except TimeoutError:
            seen = ", ".join(f"{m.id}:{m.kind}" for m in self.messages[start:]) or "none"
            raise TimeoutError(
                f"no matching Slack message within {timeout}s (messages seen: {seen})"
            ) from None

    async def wait_messages(self, n: int, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """Wait until at least ``n`` messages are recorded; return them all."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.messages) < n:
                    await self._wait_change()
        except TimeoutError:
            raise TimeoutError(
                f"expected {n} Slack messages within {timeout}s, got {len(self.messages)}"
            ) from None
        return list(self.messages)

    async def wait_connections(self, n: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``connections_opened`` reaches ``n`` (e.g. to see the app reconnect)."""
        try:
            async with asyncio.timeout(timeout):
                while self.connections_opened < n:
                    await self._wait_change()
        except TimeoutError:
            raise TimeoutError(
                f"expected {n} Socket Mode connections within {timeout}s, "
                f"got {self.connections_opened}"
            ) from None

    async def _wait_change(self) -> None:
        await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- recording ------------------------------------------------------------------

    def _next_ts(self) -> str:
        now_us = int(self.clock().timestamp() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    async def _record(self, **fields: Any) -> Message:
        blocks = fields.pop("blocks", None) or []
        message = Message(
            id=f"M{next(self._ids)}",
            blocks=_with_ids(blocks) if blocks else [],
            channel_name=self.channel_name(fields["channel"]),
            **fields,
        )
        self.messages.append(message)
        self._by_id[message.id] = message
        self._notify()
        for callback in list(self.on_message):
            try:
                result = callback(message)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a broken printer must not change what Slack answers
                log.exception("on_message callback failed for %s", message.id)
        return message

    async def record_ack(self, *, response_url: str, payload: Mapping[str, Any]) -> Message | None:
        """Record what Slack shows when a slash command's acknowledgement has a body
        (used by ``SlackUser``); an empty body shows nothing and records nothing."""
        text = str(payload.get("text") or "")
        blocks = parse_blocks(payload.get("blocks")) if "blocks" in payload else None
        if not text and not blocks:
            return None
        hook = self._response_urls.get(response_url.rstrip("/").rsplit("/", 1)[-1])
        response_type = str(payload.get("response_type") or "ephemeral")
        return await self._record(
            kind="ack",
            channel=hook.channel_id if hook else "",
            user=hook.user_id if hook else None,
            text=text,
            blocks=blocks,
            ts=self._next_ts(),
            response_type=response_type,
            response_url=response_url,
            raw=dict(payload),
        )

    # ---- Web API ----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _bearer(request.headers.get("Authorization")) or args.get("token")
        args.pop("token", None)
        headers = {"X-Slack-Req-Id": uuid.uuid4().hex}
        try:
            if self.down:
                raise _ApiError("service_unavailable", 503)
            self._apply_fault(method)
            handler = self._methods.get(method)
            if handler is None:
                raise _ApiError("unknown_method", 404, extra={"req_method": method})
            if method != "api.test":
                self._authenticate(method, token)
            body = {"ok": True, **await handler(args)}
            status = 200
            if token == self.bot_token:
                headers["X-OAuth-Scopes"] = ",".join(self.scopes or DEFAULT_SCOPES)
        except _ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
            status = exc.status
            headers.update(exc.headers)
        error = body.get("error")
        self.calls.append(ApiCall(method, args, status, bool(body.get("ok")), error))
        return web.json_response(body, status=status, headers=headers)

    def _apply_fault(self, method: str) -> None:
        for fault in self.faults:
            if fault.matches(method):
                if fault.times is not None:
                    fault.times -= 1
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                raise _ApiError(fault.error, fault.status, headers=headers)

    def _authenticate(self, method: str, token: object) -> None:
        if not token:
            raise _ApiError("not_authed")
        if token not in (self.bot_token, self.app_token):
            raise _ApiError("invalid_auth")
        wants_app_token = method in _APP_TOKEN_METHODS
        if (token == self.app_token) != wants_app_token:
            raise _ApiError("not_allowed_token_type")
        if self.scopes is not None and method in METHOD_SCOPES:
            needed = METHOD_SCOPES[method]
            if not set(needed) & set(self.scopes):
                raise _ApiError(
                    "missing_scope",
                    extra={"needed": ",".join(needed), "provided": ",".join(self.scopes)},
                )

    def _resolve_channel(self, value: object, *, check_membership: bool = True) -> str:
        raw = str(value or "").strip()
        if not raw:
            raise _ApiError("channel_not_found")
        name = raw[1:] if raw.startswith("#") else raw
        if raw in self.missing_channels or name in self.missing_channels:
            raise _ApiError("channel_not_found")
        if name in self.channels:
            channel_id = self.channels[name]
        elif name in self.channels.values():
            channel_id = name
        elif re.fullmatch(r"[UW][A-Z0-9]{2,}", name):
            channel_id = "D" + name[1:]  # a DM with that user, as Slack opens one
            self.channels.setdefault(f"@{name}", channel_id)
        elif not self.auto_create_channels:
            raise _ApiError("channel_not_found")
        elif re.fullmatch(r"[CGD][A-Z0-9]{2,}", name):
            channel_id = name
            self.channels.setdefault(name.lower(), channel_id)
        else:
            channel_id = self._new_channel_id(name)
            self.channels[name] = channel_id
        if channel_id in self.missing_channels:
            raise _ApiError("channel_not_found")
        if check_membership and (
            channel_id in self.not_in_channels or name in self.not_in_channels
        ):
            raise _ApiError("not_in_channel")
        return channel_id

    def _new_channel_id(self, name: str) -> str:
        base = "C0" + (re.sub(r"[^A-Z0-9]", "", name.upper())[:9] or "CHANNEL")
        candidate, n = base, 1
        while candidate in self.channels.values():
            n += 1
            candidate = f"{base}{n}"
        return candidate

    def message_json(self, message: Message) -> dict[str, Any]:
        """The message as Slack's API returns it (and as block_actions payloads carry it)."""
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
        return body

    async def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"args": args} if args else {}

    async def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.team_url,
            "team": self.team_name,
            "user": self.bot_user_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    async def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = f"{next(self._tickets)}-{secrets.token_hex(4)}"
        self._open_tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/socket/{ticket}"}

    async def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        text = str(args.get("text") or "")
        blocks = parse_blocks(args.get("blocks"))
        _check_message(text, blocks, need_content=not args.get("attachments"))
        message = await self._record(
            kind="post",
            channel=channel,
            user=self.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=_str_or_none(args.get("thread_ts")),
            ts=self._next_ts(),
            raw=args,
        )
        self._live[(channel, message.ts or "")] = message
        return {"channel": channel, "ts": message.ts, "message": self.message_json(message)}

    async def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        user = str(args.get("user") or "")
        if not user:
            raise _ApiError("user_not_in_channel")
        text = str(args.get("text") or "")
        blocks = parse_blocks(args.get("blocks"))
        _check_message(text, blocks, need_content=not args.get("attachments"))
        message = await self._record(
            kind="ephemeral",
            channel=channel,
            user=user,
            text=text,
            blocks=blocks,
            thread_ts=_str_or_none(args.get("thread_ts")),
            ts=self._next_ts(),
            response_type="ephemeral",
            raw=args,
        )
        return {"message_ts": message.ts}

    def _live_message(self, args: dict[str, Any]) -> tuple[str, Message]:
        channel = self._resolve_channel(args.get("channel"))
        ts = str(args.get("ts") or "")
        original = self._live.get((channel, ts))
        if original is None:
            raise _ApiError("message_not_found")
        return channel, original

    async def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, original = self._live_message(args)
        text = str(args["text"]) if args.get("text") is not None else original.text
        blocks = parse_blocks(args["blocks"]) if "blocks" in args else original.blocks
        _check_message(text, blocks, need_content=True)
        message = await self._record(
            kind="update",
            channel=channel,
            user=self.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=original.thread_ts,
            ts=original.ts,
            replaces=original.id,
            raw=args,
        )
        self._live[(channel, original.ts or "")] = message
        return {
            "channel": channel,
            "ts": message.ts,
            "text": text,
            "message": self.message_json(message),
        }

    async def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, original = self._live_message(args)
        del self._live[(channel, original.ts or "")]
        await self._record(
            kind="delete",
            channel=channel,
            user=self.bot_user_id,
            ts=original.ts,
            replaces=original.id,
            raw=args,
        )
        return {"channel": channel, "ts": original.ts}

    async def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"), check_membership=False)
        name = self.channel_name(channel) or channel.lower()
        return {
            "channel": {
                "id": channel,
                "name": name,
                "is_channel": channel.startswith("C"),
                "is_private": channel.startswith("G"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in self.not_in_channels
                and name not in self.not_in_channels,
                "is_archived": False,
            }
        }

    # ---- response_url ----------------------------------------------------------------

    def new_response_url(
        self, *, channel_id: str, user_id: str, message_id: str | None = None
    ) -> str:
        """A fresh response_url for a command or action in ``channel_id`` by ``user_id``;
        ``message_id`` is the message whose button was pressed (what replace_original
        replaces)."""
        rid = f"{next(self._hook_ids)}{secrets.token_hex(6)}"
        self._response_urls[rid] = _ResponseUrl(
            id=rid,
            channel_id=channel_id,
            user_id=user_id,
            message_id=message_id,
            created_at=self.clock().timestamp(),
        )
        return f"{self.url}/response/{rid}"

    def response_url_uses(self, url: str) -> int:
        hook = self._response_urls.get(url.rstrip("/").rsplit("/", 1)[-1])
        return hook.uses if hook else 0

    async def _response(self, request: web.Request) -> web.Response:
        hook = self._response_urls.get(request.match_info["id"])
        try:
            if self.down:
                raise _ApiError("service_unavailable", 503)
            self._apply_fault("response_url")
            if hook is None:
                raise _ApiError("no_service", 404)
            if self.clock().timestamp() - hook.created_at > RESPONSE_URL_LIFETIME.total_seconds():
                raise _ApiError("expired_url", 404)
            if hook.uses >= RESPONSE_URL_MAX_USES:
                raise _ApiError("used_url", 404)
            try:
                payload = json.loads(await request.text())
            except ValueError:
                raise _ApiError("invalid_payload", 400) from None
            if not isinstance(payload, dict):
                raise _ApiError("invalid_payload", 400)
            await self._respond(hook, payload, f"{self.url}/response/{hook.id}")
        except _ApiError as exc:
            status = 400 if exc.status == 200 else exc.status
            return web.Response(status=status, text=exc.error, headers=exc.headers)
        return web.Response(text="ok")

    async def _respond(self, hook: _ResponseUrl, payload: dict[str, Any], url: str) -> None:
        delete = _truthy(payload.get("delete_original"))
        replace = _truthy(payload.get("replace_original"))
        text = str(payload.get("text") or "")
        blocks = parse_blocks(payload.get("blocks"))
        if not delete:
            _check_message(text, blocks, need_content=not payload.get("attachments"))
        original_id = hook.message_id or hook.last_message_id
        original = self._current(original_id) if (replace or delete) and original_id else None
        response_type = payload.get("response_type")
        if response_type is None:  # a replacement keeps the original's audience
            in_channel = original is not None and not original.is_ephemeral
            response_type = "in_channel" if in_channel else "ephemeral"
        hook.uses += 1
        message = await self._record(
            kind="response",
            channel=hook.channel_id,
            user=hook.user_id,
            text=text,
            blocks=blocks,
            thread_ts=_str_or_none(payload.get("thread_ts")),
            ts=original.ts if original else self._next_ts(),
            response_type=str(response_type or "ephemeral"),
            replace_original=replace,
            delete_original=delete,
            replaces=original.id if original else None,
            response_url=url,
            raw=payload,
        )
        hook.last_message_id = message.id
        if original is not None and original.ts:
            key = (original.channel, original.ts)
            if key in self._live:
                if delete:
                    del self._live[key]
                else:
                    self._live[key] = message
        elif message.response_type == "in_channel" and message.ts:
            self._live[(message.channel, message.ts)] = message

    def _current(self, message_id: str) -> Message | None:
        """The latest version of a message (after updates and replacements)."""
        message = self._by_id.get(message_id)
        if message is None:
            return None
        for later in self.messages[self.messages.index(message) + 1 :]:
            if later.replaces == message.id:
                message = later
        return message

    # ---- Socket Mode -----------------------------------------------------------------

    @property
    def live_connections(self) -> int:
        return sum(1 for c in self._connections if not c.closed)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.match_info["ticket"]
        if self.down:
            return web.Response(status=503, text="service_unavailable")
        if ticket not in self._open_tickets:
            return web.Response(status=401, text="invalid_auth")
        ws = web.WebSocketResponse(autoping=False, timeout=1.0)
        await ws.prepare(request)
        self.connections_opened += 1
        connection = _Connection(number=self.connections_opened, ws=ws)
        self._connections.append(connection)
        self._notify()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": self.live_connections,
                    "debug_info": {
                        "host": "applink-sandbox",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for frame in ws:
                if connection.silent:
                    continue  # nothing gets through a connection that has gone silent
                if frame.type == WSMsgType.PING:
                    await ws.pong(frame.data)
                elif frame.type == WSMsgType.TEXT:
                    self._on_socket_text(frame.data)
        finally:
            connection.closed = True
            self._connections.remove(connection)
            self._notify()
        return ws

    def _on_socket_text(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            return
        if not isinstance(ack, dict):
            return
        future = self._pending_acks.get(str(ack.get("envelope_id")))
        if future is not None and not future.done():
            future.set_result(ack)

    def _newest_connection(self) -> _Connection | None:
        live = [c for c in self._connections if not c.closed and not c.silent]
        return live[-1] if live else None

    async def socket_send(
        self,
        type: str,
        payload: Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any]:
        """Deliver an envelope (``slash_commands``, ``interactive`` or ``events_api``) on the
        newest live connection and return the app's ack message (``{"envelope_id",
        "payload"?}``). Waits up to ``timeout`` for a live connection and for the ack; raises
        ``SocketModeTimeout`` otherwise."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": dict(payload),
            "accepts_response_payload": (
                type == "slash_commands"
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = future
        try:
            async with asyncio.timeout(timeout):
                while (connection := self._newest_connection()) is None:
                    await self._wait_change()
                await connection.ws.send_json(envelope)
                return await future
        except TimeoutError:
            raise SocketModeTimeout(
                f"no ack for the {type} envelope within {timeout}s "
                f"({self.live_connections} live Socket Mode connections)"
            ) from None
        finally:
            self._pending_acks.pop(envelope_id, None)

    def go_silent(self) -> int:
        """Make every open connection silently dead: it stays open but delivers nothing and
        answers no ping (neither aiohttp's heartbeat nor slack_sdk's ``sdk-ping-pong``).
        New connections work normally. Returns how many connections went silent."""
        count = 0
        for connection in self._connections:
            if not connection.closed and not connection.silent:
                connection.silent = True
                count += 1
        return count

    async def send_disconnect(self, reason: str = "refresh_requested") -> int:
        """Send Slack's ``{"type": "disconnect"}`` message to every live connection (Slack
        does this before it recycles a connection); returns how many got it."""
        sent = 0
        for connection in list(self._connections):
            if not connection.closed and not connection.silent:
                await connection.ws.send_json(
                    {
                        "type": "disconnect",
                        "reason": reason,
                        "debug_info": {"host": "applink-sandbox"},
                    }
                )
                sent += 1
        return sent

    async def disconnect_all(self) -> int:
        """Close every Socket Mode connection from Slack's side; returns how many."""
        connections = [c for c in self._connections if not c.closed]
        for connection in connections:
            await self._close(connection, WSCloseCode.OK)
        return len(connections)

    async def _close(self, connection: _Connection, code: int) -> None:
        connection.closed = True
        with contextlib.suppress(Exception):
            await connection.ws.close(code=code)


# --------------------------------------------------------------------------------------
# Request helpers


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Method arguments from the query string and a form or JSON body, as Slack accepts."""
    args: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            args.update(body)
    else:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


__all__ = [
    "DEFAULT_CHANNELS",
    "RESPONSE_URL_LIFETIME",
    "RESPONSE_URL_MAX_USES",
    "ApiCall",
    "Button",
    "Fault",
    "Message",
    "SlackStandIn",
    "SocketModeTimeout",
    "parse_blocks",
    "validate_blocks",
]
