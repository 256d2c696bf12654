"""The delete prompt (in pages for a big order) and what replaces it once it is answered."""

from __future__ import annotations

from datetime import datetime

from bot.ingram.models import DeleteOutcome, Order
from bot.orders import DeleteRefused, Refusal
from bot.slack.blocks import (
    ACTION_DELETE_CANCEL,
    ACTION_DELETE_CONFIRM,
    Block,
    Message,
    actions,
    button,
    context,
    error_message,
    order_summary,
    plural,
    section,
)
from bot.slack.lookups import shipment_listing
from bot.slack.mrkdwn import escape, mention, truncate
from bot.slack.paging import PageRef, paged


def _confirm_dialog(order: Order) -> Block:
    number = order.ordernumber
    return {
        "title": {"type": "plain_text", "text": truncate(f"Delete order {number}?", 100)},
        "text": {
            "type": "mrkdwn",
            "text": truncate(
                f"Ingram Micro will delete order *{escape(number)}* and its"
                f" {plural(len(order.suborders), 'shipment')}. This cannot be undone.",
                300,
            ),
            "verbatim": True,
        },
        "confirm": {"type": "plain_text", "text": "Delete"},
        "deny": {"type": "plain_text", "text": "Keep it"},
        "style": "danger",
    }


def delete_prompt_message(
    order: Order, confirmation_id: str, expires_at: datetime, *, page: int = 1
) -> Message:
    """The ephemeral prompt with a danger "Delete order" button (with a confirm dialog), on
    every page of the order's shipments."""
    number = order.ordernumber
    head = [
        section(f":wastebasket: Delete order *{escape(number)}*? This cannot be undone."),
        section(order_summary(order)),
    ]
    tail = [
        context(
            f"Only you can confirm this, until {expires_at.strftime('%H:%M UTC')} (10 minutes)."
        ),
        actions(
            button(
                "Delete order",
                ACTION_DELETE_CONFIRM,
                confirmation_id,
                style="danger",
                confirm=_confirm_dialog(order),
            ),
            button("Cancel", ACTION_DELETE_CANCEL, confirmation_id),
            block_id="delete",
        ),
    ]
    ref = PageRef("delete", confirmation_id, page)
    shown = paged(
        head, shipment_listing(order), tail, ref, hint="The buttons delete the whole order."
    )
    text = f"Delete order {number}?"
    if shown.pages > 1:
        text += f" (page {shown.page} of {shown.pages})"
    return Message(text, shown.blocks)


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


#: How each refusal is shown (the others: :no_entry_sign:).
_EMOJI = {
    Refusal.EXPIRED: ":hourglass:",
    Refusal.UNKNOWN_CONFIRMATION: ":hourglass:",
    Refusal.ALREADY_USED: ":hourglass:",
    Refusal.SUPERSEDED: ":hourglass:",
    Refusal.ALREADY_DELETED: ":information_source:",
}


def refusal_message(refusal: DeleteRefused) -> Message:
    """Why nothing was deleted: with who did what stands in the way (a mention), and the
    order's state as it was read, when it was."""
    emoji = _EMOJI.get(refusal.reason, ":no_entry_sign:")
    if refusal.by is not None and refusal.at is not None:
        when = refusal.at.strftime("%H:%M UTC")
        number = f"*{escape(refusal.ordernumber)}*"
        if refusal.reason is Refusal.SUPERSEDED:
            text = (
                f"{emoji} A newer delete prompt for order {number} was made by"
                f" {mention(refusal.by)} at {when}; only that one can delete it, and this one"
                " no longer does anything."
            )
        else:
            text = (
                f"{emoji} Order {number} was already deleted by {mention(refusal.by)} at"
                f" {when}, through orderbot; nothing was sent to Ingram."
            )
        message = Message(refusal.message, [section(text)])
    else:
        message = error_message(refusal.message, emoji=emoji)
    if refusal.order is not None:
        message.blocks.append(section(order_summary(refusal.order)))
    return message
