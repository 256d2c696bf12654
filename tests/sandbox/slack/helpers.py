"""Shared by the Slack stand-in's tests: a start time and Block Kit pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

START = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str, action_id: str, value: str = "v", **extra: Any) -> dict[str, Any]:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    return element | extra
