"""How big a Slack message may be, and how big one is: the one measure and the one budget
every message builder of orderbot uses (replies, delete prompts, alerts, digests).

Besides the documented limits (50 blocks a message, 3,000 characters a section text), Slack
refuses a message whose blocks carry more than about 12,000 characters of text in all, with
``msg_blocks_too_long``. The limit is undocumented; it was reported between 11,341 and 13,297
characters (slackapi/bolt-js#2509 and #2867), measured as the sum of every ``text`` string
inside the blocks, which is how ``block_text`` measures it. orderbot keeps every message
under ``MAX_BLOCK_TEXT``, below the lowest figure reported, and pages what does not fit.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
#: About where Slack refuses a message with ``msg_blocks_too_long``.
SLACK_MAX_BLOCK_TEXT = 12_000
#: What orderbot allows itself: below the lowest refusal reported (11,341 characters).
MAX_BLOCK_TEXT = 11_000


def block_text(value: Any) -> int:
    """Characters of text in blocks (or one block): every ``text`` string inside, button
    labels and confirm dialogs included."""
    if isinstance(value, list):
        return sum(block_text(item) for item in value)
    if not isinstance(value, dict):
        return 0
    own = len(value["text"]) if isinstance(value.get("text"), str) else 0
    return own + sum(block_text(item) for item in value.values() if isinstance(item, (dict, list)))


def within_budget(blocks: list[dict[str, Any]]) -> bool:
    """True when Slack takes these blocks: at most 50, within ``MAX_BLOCK_TEXT``."""
    return len(blocks) <= MAX_BLOCKS and block_text(blocks) <= MAX_BLOCK_TEXT
