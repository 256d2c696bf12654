"""Block Kit pieces of the Slack app's messages: the builders, the words for an order's
status and holds, help and errors. The answers made of them are in ``lookups`` (orders),
``prompts`` (deletes) and ``paging`` (long answers in pages); ``budget`` is how big a
message may be.

Every text that came from Ingram is inert (``mrkdwn``), and every builder stays inside Block
Kit's limits (3000 characters in a section, 150 in a header, 75 in a button label).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.ingram.codes import hold_description, status_description
from bot.ingram.models import Order, Suborder
from bot.slack.budget import MAX_SECTION_TEXT
from bot.slack.mrkdwn import api_text, escape, inert, text_object, truncate

Block = dict[str, Any]

MAX_HEADER_TEXT = 150
#: What a section of packed lines holds at most (some room left under MAX_SECTION_TEXT).
SECTION_ROOM = 2900

#: action_id of every interactive element the app sends (the manifest test checks these).
ACTION_SHARE = "share_lookup"
ACTION_DELETE_CONFIRM = "delete_confirm"
ACTION_DELETE_CANCEL = "delete_cancel"
ACTION_PAGE_NEXT = "page_next"
ACTION_PAGE_PREVIOUS = "page_previous"
#: The hold actions of order cards and lookups (``bot.slack.cards``).
ACTION_HOLD_TAKE = "hold_take"
ACTION_HOLD_SNOOZE = "hold_snooze"
ACTION_HOLD_REFRESH = "hold_refresh"
HOLD_ACTION_IDS = (ACTION_HOLD_TAKE, ACTION_HOLD_SNOOZE, ACTION_HOLD_REFRESH)
ACTION_IDS = (
    ACTION_SHARE,
    ACTION_DELETE_CONFIRM,
    ACTION_DELETE_CANCEL,
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREVIOUS,
    *HOLD_ACTION_IDS,
)


@dataclass(frozen=True)
class Message:
    """What ``respond``/``chat.postMessage`` get: fallback text and blocks.

    ``text`` is plain words (Slack shows it in notifications); ``payload`` escapes it, so an
    order number, a PO or an error detail in it can never mention anyone or link anywhere.
    """

    text: str
    blocks: list[Block]

    def payload(self, **extra: Any) -> dict[str, Any]:
        return {"text": escape(self.text), "blocks": self.blocks, **extra}


def plural(count: int, word: str) -> str:
    """``1 shipment``, ``3 shipments``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- small builders ------------------------------------------------------------------------


def section(text: str) -> Block:
    return {"type": "section", "text": text_object(truncate(text, MAX_SECTION_TEXT))}


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": truncate(inert(text), MAX_HEADER_TEXT),
            "emoji": True,
        },
    }


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [text_object(truncate(t, MAX_SECTION_TEXT)) for t in texts[:10]],
    }


def fields(*pairs: tuple[str, str]) -> Block:
    return {
        "type": "section",
        "fields": [text_object(truncate(f"*{k}*\n{v}", 2000)) for k, v in pairs[:10]],
    }


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, confirm: Block | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, 75), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block


def pack(lines: Iterable[str], budget: int) -> tuple[list[Block], int]:
    """Lines packed into as few sections as fit, at most ``budget`` sections.

    Returns the sections and how many lines did not fit.
    """
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    lines = list(lines)
    for index, line in enumerate(lines):
        line = truncate(line, SECTION_ROOM)
        if current and size + len(line) + 1 > SECTION_ROOM:
            if len(blocks) + 1 >= budget:
                blocks.append(section("\n".join(current)))
                return blocks, len(lines) - index
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        if len(blocks) >= budget:
            return blocks, len(current)
        blocks.append(section("\n".join(current)))
    return blocks, 0


# --- orders --------------------------------------------------------------------------------


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


def status_label(code: str, text: str) -> str:
    """``C`` CREDIT HOLD, with the spec's meaning when Ingram's own text says something else."""
    spec = status_description(code)
    shown = text or spec
    extra = f" ({spec})" if spec and shown.lower() != spec.lower() else ""
    return f"`{api_text(code, 10) or '-'}` {api_text(shown)}{escape(extra)}"


def hold_label(code: str, text: str) -> str:
    """``CH`` HARD-9 CUST NOT FLOOR ORD (Credit check hold), or "no hold"."""
    if not code:
        return "no hold"
    spec = hold_description(code)
    shown = text or spec or "unknown hold code"
    extra = f" ({spec})" if spec and shown.lower() != spec.lower() else ""
    return f"`{api_text(code, 10)}` {api_text(shown)}{escape(extra)}"


def shipment_line(sub: Suborder, highlight: str | None = None) -> str:
    marker = ":arrow_forward: " if highlight and sub.subordernumber == highlight else "• "
    name = f"*{escape(sub.subordernumber)}*"
    if sub.deleted:  # hold VO is how Ingram marks a deleted order: nothing to act on
        code = f" (hold `{escape(sub.holdreasoncode)}`)" if sub.holdreasoncode else ""
        hold = f" · :wastebasket: deleted{code}"
    elif sub.on_hold:
        hold = f" · :no_entry: hold {hold_label(sub.holdreasoncode, sub.holdreason)}"
    else:
        hold = ""
    return f"{marker}{name}  {status_label(sub.statuscode, sub.status)}{hold}"


def order_summary(order: Order) -> str:
    held = sum(1 for s in order.suborders if s.on_hold and not s.deleted)
    deleted = sum(1 for s in order.suborders if s.deleted)
    count = len(order.suborders)
    return (
        f"*Order {escape(order.ordernumber)}*"
        f" · PO *{api_text(order.customerordernumber, 100) or '-'}*"
        f" · entered {when(order.entrytimestamp)} · {count} shipment{'s' if count != 1 else ''}"
        + (f" · {held} on hold" if held else "")
        + (f" · {deleted} deleted" if deleted else "")
    )


# --- help and errors -----------------------------------------------------------------------

USAGE = (
    "*`/order 20-RD12H`* · an order and every shipment, with status and hold reason\n"
    "*`/order 20-RD12H-11`* · the order of that shipment, with the shipment highlighted\n"
    "*`/order po CUSTPO`* · every order with that customer PO number\n"
    "*`/order delete 20-11852`* · delete an order that has not been released (asks first)\n"
    "*`/order holds [CODE]`* · what is on hold right now, e.g. `/order holds CH`\n"
    "*`/order status`* · the hold watcher: last poll, alerts waiting, failed deliveries\n"
    "*`/order help`* · this message"
)


def help_message(problem: str | None = None) -> Message:
    blocks = []
    if problem:
        blocks.append(section(f":thinking_face: {escape(problem)}"))
    blocks.append(section(USAGE))
    return Message("How to use /order", blocks)


def error_message(text: str, *, emoji: str = ":warning:") -> Message:
    """A failure the user can act on; ``text`` is already written for them (not escaped yet)."""
    return Message(text, [section(f"{emoji} {escape(text)}")])


def notice_message(text: str) -> Message:
    return Message(text, [context(escape(text))])
