"""The "Delete order" and "Cancel" buttons of a delete prompt."""

from __future__ import annotations

from typing import Any

from bot.ingram.errors import IngramError
from bot.orders import DeleteRefused, Refusal, Requester
from bot.slack.blocks import error_message
from bot.slack.prompts import cancelled_message, delete_outcome_message, refusal_message
from bot.slack.replies import Respond, answering_failures, send
from bot.slack.services import Listener, Services

#: Refusals that end the prompt: it can never delete anything any more. The others leave it
#: in place (a press by someone else, a second press, a lookup that may work next time).
_KEEPS_PROMPT = {Refusal.WRONG_USER, Refusal.ALREADY_USED, Refusal.LOOKUP_FAILED}


def presser_of(body: dict[str, Any]) -> Requester:
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    return Requester(
        user.get("id", ""), user.get("username") or user.get("name", ""), channel.get("id", "")
    )


async def _refused(respond: Respond, refusal: DeleteRefused) -> None:
    if refusal.reason not in _KEEPS_PROMPT:
        await send(respond, refusal_message(refusal), replace_original=True)
    else:
        await send(
            respond, refusal_message(refusal), replace_original=False, response_type="ephemeral"
        )


async def confirm(
    services: Services, presser: Requester, confirmation: str, respond: Respond
) -> None:
    """Claim the confirmation and delete; the prompt is replaced with the outcome."""
    async with answering_failures(respond, "a delete", replace_original=True):
        try:
            done = await services.orders.confirm_delete(presser, confirmation)
        except IngramError as exc:
            number = await services.orders.confirmation_order(confirmation)
            advice = (
                f" Look the order up with `/order {number}` to see whether it was deleted"
                " before you try again."
                if exc.outcome_unknown
                else f" Nothing was deleted; run `/order delete {number}` again later."
            )
            await send(respond, error_message(str(exc) + advice), replace_original=True)
            return
        if isinstance(done, DeleteRefused):
            await _refused(respond, done)
            return
        result = done.result
        await send(
            respond,
            delete_outcome_message(
                result.ordernumber, result.outcome, result.message, result.remedy, presser.user_id
            ),
            replace_original=True,
        )


async def cancel(
    services: Services, presser: Requester, confirmation: str, respond: Respond
) -> None:
    """Use the confirmation up without deleting; the prompt says so."""
    async with answering_failures(respond, "a cancel"):
        cancelled = await services.orders.cancel_delete(presser, confirmation)
        if isinstance(cancelled, DeleteRefused):
            await _refused(respond, cancelled)
            return
        await send(respond, cancelled_message(cancelled.order_number), replace_original=True)


def make_delete_confirm(services: Services) -> Listener:
    async def delete_confirm(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        work = confirm(services, presser_of(body), action.get("value", ""), respond)
        services.later(work, "delete confirm")

    return delete_confirm


def make_delete_cancel(services: Services) -> Listener:
    async def delete_cancel(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        services.later(
            cancel(services, presser_of(body), action.get("value", ""), respond), "delete cancel"
        )

    return delete_cancel
