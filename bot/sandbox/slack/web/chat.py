"""The Web API's ``chat.*`` methods: post, post ephemeral, update and delete messages.

Every message body is checked as Slack checks it (``validation.check_message``) and recorded
in the workspace; ``chat.update`` and ``chat.delete`` act on the live version of a message
by channel and ``ts``.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.messages import Message
from bot.sandbox.slack.metadata import parse_metadata, with_warning
from bot.sandbox.slack.validation import check_message, parse_blocks, str_or_none
from bot.sandbox.slack.web.api import Method
from bot.sandbox.slack.workspace import Workspace


class ChatMethods:
    """``chat.postMessage``, ``chat.postEphemeral``, ``chat.update`` and ``chat.delete``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family serves, by name."""
        return {
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update,
            "chat.delete": self.delete,
        }

    async def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        w = self.workspace
        channel = w.resolve_channel(args.get("channel"))
        metadata, warning = parse_metadata(args.get("metadata"))
        message = await self._post(
            args, channel, kind="post", user=w.bot_user_id, metadata=metadata
        )
        w.live[(channel, message.ts or "")] = message
        answer = {"channel": channel, "ts": message.ts, "message": w.message_json(message)}
        return with_warning(answer, warning)

    async def post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.workspace.resolve_channel(args.get("channel"))
        user = str(args.get("user") or "")
        if not user:
            raise ApiError("user_not_in_channel")
        message = await self._post(
            args, channel, kind="ephemeral", user=user, response_type="ephemeral"
        )
        return {"message_ts": message.ts}

    async def _post(self, args: dict[str, Any], channel: str, **fields: Any) -> Message:
        """Check the new message ``args`` describe and record it in ``channel``."""
        w = self.workspace
        text = str(args.get("text") or "")
        blocks = parse_blocks(args.get("blocks"))
        check_message(text, blocks, need_content=not args.get("attachments"))
        return await w.record(
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=str_or_none(args.get("thread_ts")),
            ts=w.next_ts(),
            raw=args,
            **fields,
        )

    def _live_message(self, args: dict[str, Any]) -> tuple[str, Message]:
        w = self.workspace
        channel = w.resolve_channel(args.get("channel"))
        ts = str(args.get("ts") or "")
        original = w.live.get((channel, ts))
        if original is None:
            raise ApiError("message_not_found")
        return channel, original

    async def update(self, args: dict[str, Any]) -> dict[str, Any]:
        w = self.workspace
        channel, original = self._live_message(args)
        text = str(args["text"]) if args.get("text") is not None else original.text
        blocks = parse_blocks(args["blocks"]) if "blocks" in args else original.blocks
        check_message(text, blocks, need_content=True)
        metadata, warning = parse_metadata(args.get("metadata"))
        message = await w.record(
            kind="update",
            channel=channel,
            user=w.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=original.thread_ts,
            ts=original.ts,
            replaces=original.id,
            metadata=metadata if "metadata" in args else original.metadata,
            raw=args,
        )
        w.live[(channel, original.ts or "")] = message
        answer = {
            "channel": channel,
            "ts": message.ts,
            "text": text,
            "message": w.message_json(message),
        }
        return with_warning(answer, warning)

    async def delete(self, args: dict[str, Any]) -> dict[str, Any]:
        w = self.workspace
        channel, original = self._live_message(args)
        del w.live[(channel, original.ts or "")]
        await w.record(
            kind="delete",
            channel=channel,
            user=w.bot_user_id,
            ts=original.ts,
            replaces=original.id,
            raw=args,
        )
        return {"channel": channel, "ts": original.ts}
