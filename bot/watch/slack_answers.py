"""What Slack's answers to ``chat.postMessage`` mean for the notifier: which errors are worth
a retry, which are permanent (the message becomes a dead letter), what an operator should do
about each permanent one, and which failures leave it unknown whether the post landed.

An answer that is not Slack's JSON (a proxy's HTML page, an empty body, JSON cut short),
whatever its HTTP status, is never Slack's verdict: it is retried, and since Slack may have
taken the post before something in between failed, the post is uncertain. So is a timeout
or a connection dropped after the request went out. Only a refused connection is known not
to have reached Slack.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

#: Slack errors that say "try again later"; every other ``ok: false`` answer is permanent.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)

#: Errors about the bot's token or workspace: the same for every channel.
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)

_BUG = (
    "Slack refused the message itself, which is a bug in orderbot: please report it with the"
    " rule's name and the dead letter's error"
)

#: What to do about a permanent error ({channel} and {rule} are filled in).
ADVICE: dict[str, str] = {
    "channel_not_found": (
        "Slack has no channel {channel} that the bot can see: create it (and invite the bot"
        " with /invite @orderbot), or fix the channel of rule {rule} (a private channel needs"
        " the bot invited first; a channel ID such as C0123456789 always works)"
    ),
    "not_in_channel": "invite the bot to {channel} with /invite @orderbot",
    "is_archived": "{channel} is archived: unarchive it or point rule {rule} at another channel",
    "restricted_action": (
        "the workspace does not let the bot post in {channel}: ask an admin to allow it, or"
        " point rule {rule} at another channel"
    ),
    "channel_is_archived": (
        "{channel} is archived: unarchive it or point rule {rule} at another channel"
    ),
    "missing_scope": "add the chat:write bot scope to the Slack app and reinstall it",
    "invalid_auth": "check SLACK_BOT_TOKEN (the xoxb- token of the installed app)",
    "not_authed": "set SLACK_BOT_TOKEN (the xoxb- token of the installed app)",
    "token_revoked": "the bot token was revoked: reinstall the app and set SLACK_BOT_TOKEN",
    "token_expired": "the bot token expired: reinstall the app and set SLACK_BOT_TOKEN",
    "account_inactive": (
        "the bot's account was deactivated: reinstall the app and set SLACK_BOT_TOKEN"
    ),
    "msg_too_long": _BUG,
    "invalid_blocks": _BUG,
    "invalid_blocks_format": _BUG,
}
DEFAULT_ADVICE = "see https://api.slack.com/methods/chat.postMessage#errors"


def error_of(exc: SlackApiError) -> tuple[int, str, Mapping[str, Any]]:
    """The HTTP status, Slack's error code (``http_<status>`` when it gave none) and the
    headers of a refused call."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    error = str(data.get("error") or "") if isinstance(data, Mapping) else ""
    headers = getattr(response, "headers", None) or {}
    return status, error or f"http_{status}", headers


def is_slack_json(exc: SlackApiError) -> bool:
    """True when the refused call's answer is Slack's own JSON envelope (``ok`` and, when
    false, an ``error``); False for an HTML page, an empty or cut-short body."""
    data = getattr(exc.response, "data", None)
    return isinstance(data, Mapping) and isinstance(data.get("ok"), bool)


def not_json_error(exc: SlackApiError) -> str:
    """What came back instead of Slack's JSON, for the log: ``HTTP 200, text/html``."""
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", 0)
    headers = getattr(response, "headers", None) or {}
    kind = ""
    for key, value in dict(headers).items():
        if str(key).lower() == "content-type":
            kind = str(value).split(";")[0].strip()
    if getattr(response, "data", None) is None or not kind:
        return f"HTTP {status}, an empty or cut-short body instead of Slack's JSON"
    return f"HTTP {status}, {kind} instead of Slack's JSON"


def reached_slack_unseen(exc: BaseException) -> bool:
    """True when a network failure may have happened after Slack took the request (a
    timeout, a dropped connection); False when the request never left (refused)."""
    return not isinstance(exc, aiohttp.ClientConnectorError)


def network_error(exc: BaseException) -> str:
    """A short description of a network error, for the log and the dead letter."""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "could not connect"
    return type(exc).__name__


def is_rate_limit(status: int, error: str) -> bool:
    """Slack asked to slow down: wait ``Retry-After`` before posting to the channel again."""
    return status == 429 or error == "ratelimited"


def is_transient(status: int, error: str) -> bool:
    """Slack could not take the message now: retry it later, with backoff."""
    return status >= 500 or error in TRANSIENT_ERRORS or status in (408, 0)


def refusal_key(error: str, channel: str) -> tuple[str, str]:
    """What a permanent refusal is about, to log it once: a token error is the same for
    every channel; any other error is about its channel."""
    return error, "" if error in TOKEN_ERRORS else channel


def advice(error: str, *, channel: str, rule: str) -> str:
    """What to do about a permanent refusal of a message for ``rule`` to ``channel``."""
    return ADVICE.get(error, DEFAULT_ADVICE).format(channel=channel, rule=rule)


#: What a Slack error code looks like; anything else is counted as ``other``.
_ERROR_CODE = re.compile(r"[a-z0-9_]{1,60}")


def error_label(exc: BaseException) -> str:
    """A short, bounded name for what went wrong with a post, for the metrics: Slack's own
    error code (``channel_not_found``, ``ratelimited``), ``not_slack_json`` for an answer
    that is not Slack's JSON, ``timeout``, ``connect_error``, ``connection_error``, or the
    name of a client error."""
    if isinstance(exc, SlackApiError):
        if not is_slack_json(exc):
            return "not_slack_json"
        error = error_of(exc)[1]
        return error if _ERROR_CODE.fullmatch(error) else "other"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connect_error"
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return "connection_error"
    return "client_error"
