"""Text for Slack: anything that comes from outside is made inert before Slack sees it.

Slack reads a mrkdwn text object in two ways. Explicit markup (``<!channel>``,
``<https://...|...>``, ``<@U123>``) is read always: ``escape`` turns ``&``, ``<`` and ``>``
into entities so that text from Ingram can never be such markup. Bare text is read too,
unless the text object says ``verbatim: true``: URLs become links, ``#channel`` and some
``@name`` mentions are linked. Every mrkdwn text object orderbot builds is verbatim (see
``text_object``), so what Ingram wrote stays what it wrote.

``inert`` also takes out what a person cannot see but a terminal or Slack obeys: the Unicode
bidirectional controls (U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F, U+061C)
and the zero-width characters (U+200B-U+200D, U+2060, U+FEFF), so that a PO cannot reorder
what a person reads; and it masks every secret the process knows (``bot.log.redact``), since
an upstream's error text may echo one.
"""

from __future__ import annotations

import re
from typing import Any

from bot.log import redact

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi embeddings, isolates
        "\u200e\u200f\u061c"  # bidi marks
        "\u200b\u200c\u200d\u2060\ufeff",  # zero-width characters
    )
)
#: A Slack user ID: U or W, then capitals and digits (``U0ALICE``, ``W012A3CDE``).
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")

#: Ingram's words in one field of a message (a status, a hold reason, a PO) are cut to this.
MAX_API_TEXT = 300


def inert(text: object) -> str:
    """``text`` without bidirectional controls and zero-width characters, secrets masked."""
    return redact(str(text if text is not None else "").translate(_INVISIBLE))


def escape(text: object) -> str:
    """``inert`` text with ``&``, ``<`` and ``>`` escaped as Slack requires, so that it can
    never become a mention (``<!channel>``), a link (``<https://...|...>``) or a user
    reference."""
    return inert(text).translate(_ESCAPES)


def api_text(value: object, limit: int = MAX_API_TEXT) -> str:
    """A field Ingram sent, as mrkdwn: inert, escaped, and cut to ``limit`` characters."""
    return escape(truncate(inert(value), limit))


def mention(user_id: str) -> str:
    """``<@U0ALICE>`` for a well-formed Slack user ID; anything else is shown as inert text
    (an ID is interpolated into markup, so it must be one)."""
    if _USER_ID.fullmatch(user_id or ""):
        return f"<@{user_id}>"
    if not user_id:
        return "someone"
    shown = escape(user_id).replace("`", "'")
    return f"`{shown}`"


def text_object(text: str) -> dict[str, Any]:
    """A mrkdwn text object whose bare URLs, ``#channel`` and ``@name`` Slack leaves alone."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"
