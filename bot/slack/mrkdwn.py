"""Text for Slack's mrkdwn: escape anything that comes from outside before Slack sees it."""

from __future__ import annotations

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: object) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires, so that API text can never become a
    mention (``<!channel>``), a link (``<https://...|...>``) or a user reference."""
    return str(text if text is not None else "").translate(_ESCAPES)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"
