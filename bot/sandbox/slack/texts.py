"""The text objects of a message's blocks, and what Slack does with them.

* ``block_text_length``: the measure behind ``msg_blocks_too_long``. Slack refuses a message
  whose blocks carry more than about 12,000 characters of text in all (undocumented; reported
  between 11,341 and 13,297 in slackapi/bolt-js#2509 and #2867, where a Slack engineer
  describes it as "12,000 text characters with a buffer for block containers"). It is
  measured as those reports measure it: the sum of every ``text`` string inside the blocks,
  button labels and confirm dialogs included.
* ``autolinks``: what Slack would turn into links or mentions on its own: in a mrkdwn text
  object whose ``verbatim`` is not true, bare URLs and domains, ``#channel`` names and
  ``@here``/``@channel``/``@everyone``/``@name`` (Block Kit reference, "Text object":
  "verbatim ... When set to false (as is default) URLs will be auto-converted into links,
  conversation names will be link-ified, and certain mentions will be automatically
  parsed").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: Bare text Slack links in a non-verbatim mrkdwn text object.
_AUTOLINKED = re.compile(
    r"(?:https?://|www\.)[^\s<>|]*[^\s<>|.,;:!?)]"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|uk|de|fr|info|biz)\b"
    r"|(?<![\w&/])#[a-z0-9][a-z0-9_-]*"
    r"|(?<![\w<])@[A-Za-z0-9][\w.-]*",
    re.IGNORECASE,
)


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every object with a string ``text`` inside ``value`` (blocks, elements, dialogs)."""
    if isinstance(value, list):
        for item in value:
            yield from text_objects(item)
    elif isinstance(value, dict):
        if isinstance(value.get("text"), str):
            yield value
        for item in value.values():
            if isinstance(item, (dict, list)):
                yield from text_objects(item)


def block_text_length(blocks: list[dict[str, Any]]) -> int:
    """Characters of text in the blocks: the sum of every ``text`` string inside them."""
    return sum(len(obj["text"]) for obj in text_objects(blocks))


def autolinks(blocks: list[dict[str, Any]]) -> list[str]:
    """The bare text Slack would link or mention in these blocks on its own."""
    found: list[str] = []
    for obj in text_objects(blocks):
        if obj.get("type") == "mrkdwn" and obj.get("verbatim") is not True:
            found += _AUTOLINKED.findall(obj["text"])
    return found
