"""Message metadata as Slack reads it from ``chat.postMessage`` and ``chat.update``.

Slack's message metadata guide: ``metadata`` is a JSON object with ``event_type`` (letters,
digits, underscores and hyphens, no periods or other punctuation) and ``event_payload`` (a
JSON object). Metadata that is not JSON at all is refused with ``invalid_metadata_format``;
metadata with an invalid ``event_type`` (or a payload that is not an object) "returns an
``invalid_metadata_schema`` warning and is ignored": the message is posted without it.
``conversations.history`` and ``conversations.replies`` return it only when asked with
``include_all_metadata``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.sandbox.slack.errors import ApiError

_EVENT_TYPE = re.compile(r"[A-Za-z0-9_-]+")


def parse_metadata(value: object) -> tuple[dict[str, Any] | None, str | None]:
    """The metadata a call carries (None when it has none, or when Slack ignores it) and the
    warning Slack answers with (None when there is nothing to warn about)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError("invalid_metadata_format") from None
    if not isinstance(value, dict):
        raise ApiError("invalid_metadata_format")
    event_type = value.get("event_type")
    payload = value.get("event_payload")
    if (
        not isinstance(event_type, str)
        or not _EVENT_TYPE.fullmatch(event_type)
        or not isinstance(payload, dict)
    ):
        return None, "invalid_metadata_schema"
    return {"event_type": event_type, "event_payload": payload}, None


def with_warning(answer: dict[str, Any], warning: str | None) -> dict[str, Any]:
    """``answer`` with Slack's warning fields added when there is a warning."""
    if warning:
        answer["warning"] = warning
        answer["response_metadata"] = {"warnings": [warning]}
    return answer
