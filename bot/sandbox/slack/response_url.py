"""``response_url``s: where the app answers a slash command or a button press, later.

Each command or press gets a fresh URL (``{url}/response/<id>``) good for 5 uses within 30
minutes. A POST to it posts a reply (ephemeral unless ``response_type`` says in_channel), or
replaces or deletes the message the press came from (``replace_original``,
``delete_original``). An acknowledgement's body is shown through the same URL's record
(``record_ack``).
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.faults import FaultPlan
from bot.sandbox.slack.messages import Message
from bot.sandbox.slack.validation import check_message, parse_blocks, str_or_none, truthy
from bot.sandbox.slack.workspace import Workspace

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_LIFETIME = timedelta(minutes=30)


@dataclass
class Hook:
    """One response_url: who it answers, where, and how it has been used."""

    id: str
    channel_id: str
    user_id: str
    message_id: str | None
    created_at: float
    uses: int = 0
    last_message_id: str | None = None


class ResponseUrls:
    """Every response_url handed out, and the ``/response/{id}`` route that serves them."""

    def __init__(self, workspace: Workspace, faults: FaultPlan) -> None:
        self.workspace = workspace
        self.faults = faults
        self._ids = itertools.count(1)
        self._hooks: dict[str, Hook] = {}

    def _hook(self, url: str) -> Hook | None:
        return self._hooks.get(url.rstrip("/").rsplit("/", 1)[-1])

    def new(self, *, channel_id: str, user_id: str, message_id: str | None = None) -> str:
        """A fresh response_url for a command or action in ``channel_id`` by ``user_id``;
        ``message_id`` is the message whose button was pressed (what replace_original
        replaces)."""
        rid = f"{next(self._ids)}{secrets.token_hex(6)}"
        self._hooks[rid] = Hook(
            id=rid,
            channel_id=channel_id,
            user_id=user_id,
            message_id=message_id,
            created_at=self.workspace.clock().timestamp(),
        )
        return f"{self.workspace.url}/response/{rid}"

    def uses(self, url: str) -> int:
        """How many times ``url`` has been answered to (0 for a URL never handed out)."""
        hook = self._hook(url)
        return hook.uses if hook else 0

    async def handle(self, request: web.Request) -> web.Response:
        """``POST /response/{id}``: "ok", or Slack's error as plain text and its status."""
        hook = self._hooks.get(request.match_info["id"])
        try:
            self.faults.check("response_url")
            if hook is None:
                raise ApiError("no_service", 404)
            age = self.workspace.clock().timestamp() - hook.created_at
            if age > RESPONSE_URL_LIFETIME.total_seconds():
                raise ApiError("expired_url", 404)
            if hook.uses >= RESPONSE_URL_MAX_USES:
                raise ApiError("used_url", 404)
            try:
                payload = json.loads(await request.text())
            except ValueError:
                raise ApiError("invalid_payload", 400) from None
            if not isinstance(payload, dict):
                raise ApiError("invalid_payload", 400)
            await self._respond(hook, payload, f"{self.workspace.url}/response/{hook.id}")
        except ApiError as exc:
            status = 400 if exc.status == 200 else exc.status
            return web.Response(status=status, text=exc.error, headers=exc.headers)
        return web.Response(text="ok")

    async def _respond(self, hook: Hook, payload: dict[str, Any], url: str) -> None:
        w = self.workspace
        delete = truthy(payload.get("delete_original"))
        replace = truthy(payload.get("replace_original"))
        text = str(payload.get("text") or "")
        blocks = parse_blocks(payload.get("blocks"))
        if not delete:
            check_message(text, blocks, need_content=not payload.get("attachments"))
        original_id = hook.message_id or hook.last_message_id
        original = w.current(original_id) if (replace or delete) and original_id else None
        response_type = payload.get("response_type")
        if response_type is None:  # a replacement keeps the original's audience
            in_channel = original is not None and not original.is_ephemeral
            response_type = "in_channel" if in_channel else "ephemeral"
        hook.uses += 1
        message = await w.record(
            kind="response",
            channel=hook.channel_id,
            user=hook.user_id,
            text=text,
            blocks=blocks,
            thread_ts=str_or_none(payload.get("thread_ts")),
            ts=original.ts if original else w.next_ts(),
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
            if key in w.live:
                if delete:
                    del w.live[key]
                else:
                    w.live[key] = message
        elif message.response_type == "in_channel" and message.ts:
            w.live[(message.channel, message.ts)] = message

    async def record_ack(self, *, response_url: str, payload: Mapping[str, Any]) -> Message | None:
        """Record what Slack shows when a slash command's acknowledgement has a body
        (used by ``SlackUser``); an empty body shows nothing and records nothing."""
        w = self.workspace
        text = str(payload.get("text") or "")
        blocks = parse_blocks(payload.get("blocks")) if "blocks" in payload else None
        if not text and not blocks:
            return None
        hook = self._hook(response_url)
        response_type = str(payload.get("response_type") or "ephemeral")
        return await w.record(
            kind="ack",
            channel=hook.channel_id if hook else "",
            user=hook.user_id if hook else None,
            text=text,
            blocks=blocks,
            ts=w.next_ts(),
            response_type=response_type,
            response_url=response_url,
            raw=dict(payload),
        )
