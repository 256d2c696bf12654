"""The Web API's ``conversations.*`` methods: ``info``, ``history`` and ``replies``.

``history`` and ``replies`` read the channel back as Slack keeps it: the current version of
every message still shown (``Workspace.live``), by ``ts``. As in Slack:

* the channel must be an ID (``channel_not_found`` for a name, which only ``chat.*``
  methods look up), of a channel the bot is in (``not_in_channel``);
* the token needs ``channels:history`` for a public channel, ``groups:history`` for a
  private one, ``im:history`` for a DM (``missing_scope`` otherwise);
* ``history`` lists top-level messages (and thread replies sent with ``reply_broadcast``),
  newest first, default 100 and at most 999 a page; ``replies`` lists a thread's parent
  first, then its replies oldest first (``thread_not_found`` for an unknown ``ts``);
* ``oldest``/``latest`` bound the messages by ``ts`` (exclusive unless ``inclusive``),
  pages are chained by ``response_metadata.next_cursor`` while ``has_more``;
* message metadata is returned only with ``include_all_metadata``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.messages import Message
from bot.sandbox.slack.validation import truthy
from bot.sandbox.slack.web.api import Method
from bot.sandbox.slack.workspace import Workspace

#: The scope each kind of channel needs to be read back.
HISTORY_SCOPES = {"C": "channels:history", "G": "groups:history", "D": "im:history"}
MAX_HISTORY_PAGE = 999
MAX_REPLIES_PAGE = 1000


class ConversationsMethods:
    """``conversations.info``, ``conversations.history`` and ``conversations.replies``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family serves, by name."""
        return {
            "conversations.info": self.info,
            "conversations.history": self.history,
            "conversations.replies": self.replies,
        }

    async def info(self, args: dict[str, Any]) -> dict[str, Any]:
        w = self.workspace
        channel = w.resolve_channel(args.get("channel"), check_membership=False)
        name = w.channel_name(channel) or channel.lower()
        return {
            "channel": {
                "id": channel,
                "name": name,
                "is_channel": channel.startswith("C"),
                "is_private": channel.startswith("G"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in w.not_in_channels and name not in w.not_in_channels,
                "is_archived": False,
            }
        }

    def _readable_channel(self, args: dict[str, Any]) -> str:
        channel = self.workspace.conversation(args.get("channel"))
        self.workspace.require_scope((HISTORY_SCOPES.get(channel[:1], "channels:history"),))
        return channel

    def _shown(self, channel: str) -> list[Message]:
        """The messages shown in ``channel`` now, oldest first."""
        shown = [m for (c, _ts), m in self.workspace.live.items() if c == channel and m.ts]
        return sorted(shown, key=lambda m: _ts(m.ts, "invalid_ts"))

    async def history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(args)
        window = _window(args)
        shown = self._shown(channel)
        top = [m for m in shown if _top_level(m) and window(_ts(m.ts, ""))]
        newest_first = list(reversed(top))
        cursor = _cursor(args)
        if cursor is not None:
            newest_first = [m for m in newest_first if _ts(m.ts, "") < cursor]
        page, more = _page(newest_first, args, default=100, maximum=MAX_HISTORY_PAGE)
        include = truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._json(m, shown, include) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": _next_cursor(page) if more else ""},
        }

    async def replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable_channel(args)
        root = str(args.get("ts") or "")
        parent = self.workspace.live.get((channel, root))
        if parent is None:
            raise ApiError("thread_not_found")
        window = _window(args)
        shown = self._shown(channel)
        thread = [m for m in shown if m.thread_ts == root and m.ts != root]
        thread = [m for m in thread if window(_ts(m.ts, ""))]
        cursor = _cursor(args)
        if cursor is not None:
            thread = [m for m in thread if _ts(m.ts, "") > cursor]
        items = thread if cursor is not None else [parent, *thread]
        page, more = _page(items, args, default=1000, maximum=MAX_REPLIES_PAGE)
        include = truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._json(m, shown, include) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": _next_cursor(page) if more else ""},
        }

    def _json(self, message: Message, shown: list[Message], metadata: bool) -> dict[str, Any]:
        body = self.workspace.message_json(message, metadata=metadata)
        replies = [m for m in shown if m.thread_ts == message.ts and m.ts != message.ts]
        if replies:
            body["thread_ts"] = message.ts
            body["reply_count"] = len(replies)
            body["reply_users_count"] = len({m.user for m in replies})
            body["latest_reply"] = replies[-1].ts
        return body


def _top_level(message: Message) -> bool:
    """Shown in the channel itself: not a thread reply, or one broadcast to the channel."""
    if not message.thread_ts or message.thread_ts == message.ts:
        return True
    return truthy(message.raw.get("reply_broadcast"))


def _ts(value: object, error: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ApiError(error) from None
    if not number.is_finite():
        raise ApiError(error)
    return number


def _window(args: dict[str, Any]) -> Callable[[Decimal], bool]:
    """Whether a message ``ts`` is within the call's ``oldest``/``latest``."""
    oldest = args.get("oldest")
    latest = args.get("latest")
    low = _ts(oldest, "invalid_ts_oldest") if oldest not in (None, "") else None
    high = _ts(latest, "invalid_ts_latest") if latest not in (None, "") else None
    inclusive = truthy(args.get("inclusive"))

    def within(ts: Decimal) -> bool:
        if low is not None and (ts < low or (ts == low and not inclusive)):
            return False
        return not (high is not None and (ts > high or (ts == high and not inclusive)))

    return within


def _page(
    items: list[Message], args: dict[str, Any], *, default: int, maximum: int
) -> tuple[list[Message], bool]:
    raw = args.get("limit")
    try:
        limit = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments") from None
    limit = min(max(limit, 1), maximum)
    return items[:limit], len(items) > limit


def _next_cursor(page: list[Message]) -> str:
    return base64.b64encode(f"next_ts:{page[-1].ts}".encode()).decode()


def _cursor(args: dict[str, Any]) -> Decimal | None:
    raw = args.get("cursor")
    if raw in (None, ""):
        return None
    try:
        text = base64.b64decode(str(raw), validate=True).decode()
    except ValueError:
        raise ApiError("invalid_cursor") from None
    if not text.startswith("next_ts:"):
        raise ApiError("invalid_cursor")
    return _ts(text.removeprefix("next_ts:"), "invalid_cursor")
