"""Block Kit messages of the Slack app: lookups, delete prompts and outcomes, help, errors.

Every text that came from Ingram is escaped for mrkdwn, and every message stays inside Block
Kit's limits (50 blocks, 3000 characters in a section, 150 in a header), however many
shipments an order has: long lists are packed several shipments to a section and cut with a
note saying what was left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.ingram.codes import hold_description, status_description
from bot.ingram.models import DeleteOutcome, Order, Suborder
from bot.slack.mrkdwn import api_text, escape, inert, mention, text_object, truncate

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
#: Room kept for the blocks a message adds around its list (header, notes, buttons).
_SECTION_BUDGET = 2900

#: action_id of every interactive element the app sends (the manifest test checks these).
ACTION_SHARE = "share_lookup"
ACTION_DELETE_CONFIRM = "delete_confirm"
ACTION_DELETE_CANCEL = "delete_cancel"
ACTION_IDS = (ACTION_SHARE, ACTION_DELETE_CONFIRM, ACTION_DELETE_CANCEL)


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
        line = truncate(line, _SECTION_BUDGET)
        if current and size + len(line) + 1 > _SECTION_BUDGET:
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


def _when(moment: datetime | None) -> str:
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
        f" · entered {_when(order.entrytimestamp)} · {count} shipment{'s' if count != 1 else ''}"
        + (f" · {held} on hold" if held else "")
        + (f" · {deleted} deleted" if deleted else "")
    )


def order_blocks(order: Order, *, highlight: str | None = None, budget: int = 44) -> list[Block]:
    """One order: a summary and its shipments, in at most ``budget`` blocks."""
    blocks = [section(order_summary(order))]
    if highlight:
        sub = order.suborder(highlight)
        if sub is not None:
            blocks.append(
                section(
                    f"You asked for shipment *{escape(sub.subordernumber)}*:"
                    f" {status_label(sub.statuscode, sub.status)}"
                    f" · {hold_label(sub.holdreasoncode, sub.holdreason)}"
                )
            )
        else:
            blocks.append(
                section(f"Order {escape(order.ordernumber)} has no shipment {escape(highlight)}.")
            )
    if not order.suborders:
        blocks.append(context("Ingram Micro sent no shipments for this order."))
        return blocks
    lines = [shipment_line(s, highlight) for s in order.suborders]
    packed, left = pack(lines, max(1, budget - len(blocks) - 1))
    blocks += packed
    if left:
        blocks.append(
            context(
                f"…and {left} more shipment{'s' if left != 1 else ''} not shown here."
                f" `orderbot lookup {escape(order.ordernumber)}` lists them all."
            )
        )
    return blocks


def lookup_message(
    query: str,
    orders: Sequence[Order],
    *,
    highlight: str | None,
    share_value: str | None,
    by_po: bool = False,
) -> Message:
    """The answer to ``/order 20-RD12H`` or (``by_po``) ``/order po CUSTPO``."""
    if not orders:
        return po_not_found_message(query) if by_po else not_found_message(query)
    blocks: list[Block] = []
    if len(orders) == 1:
        blocks.append(header(f"Order {orders[0].ordernumber}"))
        blocks += order_blocks(orders[0], highlight=highlight, budget=MAX_BLOCKS - 3)
    else:
        blocks.append(header(f"{len(orders)} orders with PO {query}"))
        room = MAX_BLOCKS - 3
        shown = 0
        for order in orders:
            if room < 3:
                break
            part = order_blocks(order, budget=min(room, 12))
            blocks += part
            room -= len(part)
            shown += 1
        if shown < len(orders):
            rest = len(orders) - shown
            blocks.append(
                context(
                    f"…and {rest} more order{'s' if rest != 1 else ''} with this PO."
                    f" `orderbot lookup --po {escape(query)}` lists them all."
                )
            )
    if share_value is not None:
        blocks.append(
            actions(button("Share in channel", ACTION_SHARE, share_value), block_id="share")
        )
    text = (
        f"Order {orders[0].ordernumber}: {len(orders[0].suborders)} shipment(s)"
        if len(orders) == 1
        else f"{len(orders)} orders with PO {query}"
    )
    return Message(text, blocks[:MAX_BLOCKS])


def not_found_message(query: str) -> Message:
    text = (
        f":mag: No order found for *{escape(query)}*. Check the number (orders look like"
        " `20-RD12H`, shipments like `20-RD12H-11`) or search by PO with `/order po <PO>`."
    )
    return Message(f"No order found for {query}", [section(text)])


def po_not_found_message(po: str) -> Message:
    """No order with this PO: say how POs match, since the PO typed was a PO search already."""
    text = (
        f":mag: No order found with PO *{escape(po)}*. POs are matched exactly as entered, case"
        " included (`CUSTPO` and `custpo` are two POs): check it against the order, or look"
        " the order up by its number, `/order 20-RD12H`."
    )
    return Message(f"No order found with PO {po}", [section(text)])


# --- delete --------------------------------------------------------------------------------


def delete_prompt_message(order: Order, confirmation_id: str, expires_at: datetime) -> Message:
    """The ephemeral prompt with a danger "Delete order" button (with a confirm dialog)."""
    count = len(order.suborders)
    number = order.ordernumber
    confirm = {
        "title": {"type": "plain_text", "text": truncate(f"Delete order {number}?", 100)},
        "text": {
            "type": "mrkdwn",
            "text": truncate(
                f"Ingram Micro will delete order *{escape(number)}* and its {count}"
                f" shipment{'s' if count != 1 else ''}. This cannot be undone.",
                300,
            ),
        },
        "confirm": {"type": "plain_text", "text": "Delete"},
        "deny": {"type": "plain_text", "text": "Keep it"},
        "style": "danger",
    }
    blocks = [
        section(f":wastebasket: Delete order *{escape(number)}*? This cannot be undone."),
        *order_blocks(order, budget=MAX_BLOCKS - 4),
        context(
            f"Only you can confirm this, until {expires_at.strftime('%H:%M UTC')} (10 minutes)."
        ),
        actions(
            button(
                "Delete order",
                ACTION_DELETE_CONFIRM,
                confirmation_id,
                style="danger",
                confirm=confirm,
            ),
            button("Cancel", ACTION_DELETE_CANCEL, confirmation_id),
            block_id="delete",
        ),
    ]
    return Message(f"Delete order {number}?", blocks[:MAX_BLOCKS])


def delete_outcome_message(
    number: str, outcome: DeleteOutcome, api_message: str, remedy: str, user_id: str
) -> Message:
    """What replaces the prompt once the DELETE was answered."""
    said = f" Ingram said: “{escape(api_message)}”" if api_message else ""
    if outcome is DeleteOutcome.DELETED:
        text = (
            f":white_check_mark: Order *{escape(number)}* was deleted by {mention(user_id)}.{said}"
        )
    elif outcome is DeleteOutcome.ALREADY_DELETED:
        text = (
            f":information_source: Order *{escape(number)}* was already deleted;"
            " nothing more to do."
        )
    elif outcome is DeleteOutcome.NOT_FOUND:
        text = (
            f":grey_question: Ingram Micro does not find order *{escape(number)}* (any more);"
            f" nothing was deleted.{said}"
        )
    else:
        todo = f"\n*What to do:* {escape(remedy)}" if remedy and remedy != "None" else ""
        text = f":x: Ingram Micro could not delete order *{escape(number)}*.{said}{todo}"
    return Message(f"Order {number}: {outcome.value.replace('_', ' ')}", [section(text)])


def cancelled_message(number: str) -> Message:
    return Message(
        f"Order {number} was not deleted",
        [
            section(
                f":leftwards_arrow_with_hook: Cancelled. Order *{escape(number)}* was not deleted."
            )
        ],
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
