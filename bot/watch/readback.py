"""Looking in Slack for a post the notifier is unsure of, before posting it again.

Every post carries Slack message metadata naming its outbox row and this database
(``EVENT_TYPE``, ``{"outbox_id": N, "database": ...}``). A row is uncertain when an attempt
may have reached Slack unseen (found in ``sending`` after a restart, or its attempt ended
in a timeout, a dropped connection or an answer that is not Slack's JSON). Before posting
it again, ``ReadBack.find`` reads the channel back from shortly before that attempt:
``conversations.history`` for a top-level post, ``conversations.replies`` for a thread
reply, with ``include_all_metadata``. One call covers the common case (a page of 200 since
the attempt); nothing is read back in normal operation.

It cannot look without the history scopes (``missing_scope``) or without the channel's Slack
ID (a rule naming a channel orderbot never posted to before): it says so once and the post
goes out again, which may duplicate the one in doubt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import AsyncStore, OutboxRow, channel_id
from bot.watch.slack_answers import error_of, is_slack_json, is_transient

log = logging.getLogger("orderbot.notifier")

#: The metadata event type of every post the notifier makes.
EVENT_TYPE = "orderbot_outbox"
#: How far before the attempt the channel is read (clock differences with Slack).
MARGIN = timedelta(minutes=2)
PAGE = 200
MAX_PAGES = 5


def metadata(row: OutboxRow, database: str) -> dict[str, Any]:
    """The message metadata that names a post's outbox row."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "outbox_id": row.id,
            "database": database,
            "kind": row.kind,
            "rule": row.rule,
        },
    }


@dataclass(frozen=True)
class Found:
    """The post is in Slack: its channel ID and ts."""

    channel: str
    ts: str


@dataclass(frozen=True)
class Absent:
    """Slack was read back and the post is not there: post it (again)."""


@dataclass(frozen=True)
class CannotLook:
    """The channel cannot be read back (no scope, no channel ID, a refusal): post again."""

    why: str


@dataclass(frozen=True)
class TryLater:
    """Reading back failed for now (rate limit, outage, network): wait, do not post."""

    why: str


ReadBackResult = Found | Absent | CannotLook | TryLater


class ReadBack:
    """Finds an uncertain row's post in Slack (``find``); counts the calls it makes."""

    def __init__(self, slack: AsyncWebClient, store: AsyncStore) -> None:
        self.slack = slack
        self.store = store
        #: Web API calls made to read channels back, and rows found that way.
        self.calls = 0
        self.found = 0
        self._told: set[str] = set()

    async def find(self, row: OutboxRow, since: datetime, database: str) -> ReadBackResult:
        """Look for ``row``'s post in the channel its latest attempt posted to."""
        thread = row.target_thread_ts
        channel = row.target_channel if thread else await self.store.run(channel_id, row.channel)
        if not channel:
            self._tell(
                row.channel,
                "orderbot cannot check whether outbox #%d reached %s before posting it again:"
                " it has not learned that channel's Slack ID yet (the post in doubt was its"
                " first there), so this may post it twice. Naming the channel by its ID in the"
                " rules (such as C0123456789) closes this gap.",
                row.id,
                row.channel,
            )
            return CannotLook("the channel's Slack ID is not known yet")
        oldest = f"{(since - MARGIN).timestamp():.6f}"
        cursor: str | None = None
        try:
            for _page in range(MAX_PAGES):
                answer = await self._read(channel, thread, oldest, cursor)
                for message in answer.get("messages") or []:
                    if _names(message, row.id, database):
                        self.found += 1
                        return Found(channel, str(message.get("ts") or ""))
                cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
                if not answer.get("has_more") or not cursor:
                    return Absent()
        except SlackApiError as exc:
            return self._refused(row, exc)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return TryLater(f"reading the channel back failed ({type(exc).__name__})")
        return Absent()  # more than MAX_PAGES pages since the attempt: not in the recent ones

    async def _read(self, channel: str, thread: str | None, oldest: str, cursor: str | None) -> Any:
        self.calls += 1
        options: dict[str, Any] = {
            "channel": channel,
            "oldest": oldest,
            "inclusive": True,
            "include_all_metadata": True,
            "limit": PAGE,
        }
        if cursor:
            options["cursor"] = cursor
        if thread:
            return await self.slack.conversations_replies(ts=thread, **options)
        return await self.slack.conversations_history(**options)

    def _refused(self, row: OutboxRow, exc: SlackApiError) -> ReadBackResult:
        if not is_slack_json(exc):
            return TryLater("Slack's answer to the read-back was not Slack's JSON")
        status, error, _headers = error_of(exc)
        if status == 429 or is_transient(status, error):
            return TryLater(f"Slack could not be read back now ({error})")
        if error == "missing_scope":
            self._tell(
                "missing_scope",
                "Slack refused to let orderbot read %s back (missing_scope: the app lacks the"
                " channels:history and groups:history scopes), so it cannot check whether"
                " outbox #%d is there before posting it again: a crash can duplicate the post"
                " that was in flight. Add both scopes to the Slack app (see manifest.yaml) and"
                " reinstall it.",
                row.channel,
                row.id,
            )
        return CannotLook(error)

    def _tell(self, key: str, message: str, *args: object) -> None:
        if key in self._told:
            log.debug(message, *args)
            return
        self._told.add(key)
        log.warning(message, *args)


def _names(message: Any, outbox_id: int, database: str) -> bool:
    """True when a message read back carries this row's metadata."""
    meta = message.get("metadata") if isinstance(message, dict) else None
    if not isinstance(meta, dict) or meta.get("event_type") != EVENT_TYPE:
        return False
    payload = meta.get("event_payload")
    return (
        isinstance(payload, dict)
        and payload.get("outbox_id") == outbox_id
        and payload.get("database") == database
    )
