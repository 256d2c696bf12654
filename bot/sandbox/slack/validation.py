"""Reading and checking a message body as Slack does: Block Kit limits and message size.

Block Kit limits enforced (from Slack's Block Kit reference; slack_sdk's models agree):
at most 50 blocks a message; ``block_id`` at most 255 characters and unique in the message;
any text object 1..3000 characters; section: text or fields, at most 10 fields of at most
2000 characters; header: plain_text, at most 150; context: 1..10 elements; actions: 1..25
elements, ``action_id`` unique in the block; button: plain_text label at most 75, ``action_id``
at most 255, ``value`` at most 2000, ``url`` at most 3000, style ``primary``/``danger``;
confirm dialog: title 100, text 300, confirm 30, deny 30; image: ``image_url`` 3000,
``alt_text`` 2000; unknown block types. Message ``text`` over 40,000 characters is refused
with ``msg_too_long``, and blocks whose text adds up to more than ``MAX_BLOCK_TEXT``
characters with ``msg_blocks_too_long`` (see ``texts``: undocumented, reported for
``chat.postMessage`` in slackapi/bolt-js#2509 and #2867; #2867 found ``respond()`` taking the
same blocks, but the stand-in refuses them on every way of posting, chat.* and
``response_url``, so that no answer of the app can lean on that leniency).

``check_message`` is what every way of posting (chat.*, ``response_url``) calls before it
records a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.texts import block_text_length

MAX_MESSAGE_TEXT = 40_000
MAX_BLOCKS = 50
#: Characters of text in a message's blocks past which Slack says ``msg_blocks_too_long``.
MAX_BLOCK_TEXT = 12_000
MAX_BLOCK_ID = 255
MAX_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ALT_TEXT = 2000
MAX_CONFIRM = {"title": 100, "text": 300, "confirm": 30, "deny": 30}

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)


def parse_blocks(value: object) -> list[dict[str, Any]] | None:
    """Blocks as the app sent them (a list, or a JSON string in a form body); None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError("invalid_blocks_format") from None
    if not isinstance(value, list) or not all(isinstance(b, dict) for b in value):
        raise ApiError("invalid_blocks_format")
    return value


def validate_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """What Slack would object to in these message blocks, worded like Slack's ``errors``."""
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        ptr = f"/blocks/{index}"
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID:
                errors.append(_too_long(MAX_BLOCK_ID, f"{ptr}/block_id"))
            elif block_id in block_ids:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{ptr}/block_id]")
            block_ids.add(str(block_id))
        kind = block.get("type")
        checker = _BLOCK_CHECKS.get(kind) if isinstance(kind, str) else None
        if kind not in KNOWN_BLOCK_TYPES:
            errors.append(f"unsupported type: {kind} [json-pointer:{ptr}/type]")
        elif checker is not None:
            checker(block, ptr, errors)
    return errors


def _too_long(limit: int, ptr: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{ptr}]"


def _check_text(
    obj: object,
    ptr: str,
    errors: list[str],
    *,
    limit: int = MAX_TEXT,
    plain_only: bool = False,
) -> None:
    if obj is None:
        errors.append(f"missing required field: text [json-pointer:{ptr}]")
        return
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        errors.append(f"must be a {' or '.join(allowed)} text object [json-pointer:{ptr}]")
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"must be more than 0 characters [json-pointer:{ptr}/text]")
    elif len(text) > limit:
        errors.append(_too_long(limit, f"{ptr}/text"))


def _check_length(value: object, limit: int, ptr: str, errors: list[str]) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        errors.append(_too_long(limit, ptr))


def _check_element(element: object, ptr: str, errors: list[str]) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        errors.append(f"must be a block element [json-pointer:{ptr}]")
        return
    _check_length(element.get("action_id"), MAX_ACTION_ID, f"{ptr}/action_id", errors)
    if element["type"] != "button":
        return
    _check_text(element.get("text"), f"{ptr}/text", errors, limit=MAX_BUTTON_TEXT, plain_only=True)
    _check_length(element.get("value"), MAX_BUTTON_VALUE, f"{ptr}/value", errors)
    _check_length(element.get("url"), MAX_URL, f"{ptr}/url", errors)
    if element.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{ptr}/style]")
    confirm = element.get("confirm")
    if confirm is not None:
        _check_confirm(confirm, f"{ptr}/confirm", errors)


def _check_confirm(confirm: object, ptr: str, errors: list[str]) -> None:
    if not isinstance(confirm, dict):
        errors.append(f"must be a confirmation dialog object [json-pointer:{ptr}]")
        return
    for key, limit in MAX_CONFIRM.items():
        part = confirm.get(key)
        if part is None and key in ("confirm", "deny"):
            continue
        _check_text(part, f"{ptr}/{key}", errors, limit=limit, plain_only=key != "text")
    if confirm.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{ptr}/style]")


def _check_section(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        errors.append(f"must provide either text or fields [json-pointer:{ptr}]")
    if text is not None:
        _check_text(text, f"{ptr}/text", errors)
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
            errors.append(f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{ptr}]")
        else:
            for i, item in enumerate(fields):
                _check_text(item, f"{ptr}/fields/{i}", errors, limit=MAX_SECTION_FIELD_TEXT)
    if block.get("accessory") is not None:
        _check_element(block["accessory"], f"{ptr}/accessory", errors)


def _check_header(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    _check_text(block.get("text"), f"{ptr}/text", errors, limit=MAX_HEADER_TEXT, plain_only=True)


def _check_context(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        errors.append(f"must provide at least 1 element [json-pointer:{ptr}/elements]")
        return
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        errors.append(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:{ptr}]")
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            _check_length(element.get("alt_text"), MAX_ALT_TEXT, f"{ptr}/elements/{i}", errors)
        else:
            _check_text(element, f"{ptr}/elements/{i}", errors)


def _check_actions(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        errors.append(f"must provide at least 1 element [json-pointer:{ptr}/elements]")
        return
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        errors.append(
            f"no more than {MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:{ptr}/elements]"
        )
    action_ids: set[str] = set()
    for i, element in enumerate(elements):
        _check_element(element, f"{ptr}/elements/{i}", errors)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in action_ids:
                errors.append(
                    f"duplicate action_id {action_id!r} [json-pointer:{ptr}/elements/{i}/action_id]"
                )
            action_ids.add(action_id)


def _check_image(block: dict[str, Any], ptr: str, errors: list[str]) -> None:
    _check_length(block.get("image_url"), MAX_URL, f"{ptr}/image_url", errors)
    _check_length(block.get("alt_text"), MAX_ALT_TEXT, f"{ptr}/alt_text", errors)


_BLOCK_CHECKS: dict[str, Callable[[dict[str, Any], str, list[str]], None]] = {
    "section": _check_section,
    "header": _check_header,
    "context": _check_context,
    "actions": _check_actions,
    "image": _check_image,
}


def check_message(text: str, blocks: list[dict[str, Any]] | None, *, need_content: bool) -> None:
    """Raise the error Slack gives for a message body it will not show."""
    if need_content and not text and not blocks:
        raise ApiError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    if blocks:
        problems = validate_blocks(blocks)
        if not problems and block_text_length(blocks) > MAX_BLOCK_TEXT:
            raise ApiError("msg_blocks_too_long")
        if problems:
            raise ApiError(
                "invalid_blocks",
                extra={
                    "errors": problems,
                    "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
                },
            )


def truthy(value: object) -> bool:
    """A flag as Slack reads it from JSON or a form (``"true"``, ``"1"``, ``true`` ...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def str_or_none(value: object) -> str | None:
    """An optional argument such as ``thread_ts``: None when absent or empty."""
    return str(value) if value not in (None, "") else None
