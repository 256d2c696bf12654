"""``/order``: acknowledge at once, then answer through ``respond()``.

The listener only reads the command and dispatches; each subcommand is a small function
over the use cases in ``bot.orders``. Answers are ephemeral, with a button to share a lookup.
"""

from __future__ import annotations

import time
from typing import Any

from bot.orders import DeletePrompt, Requester
from bot.slack.answers import lookup_answer
from bot.slack.blocks import error_message, help_message, notice_message
from bot.slack.commands import watcher
from bot.slack.commands.parsing import (
    ByPo,
    Command,
    Delete,
    Help,
    Holds,
    Lookup,
    Status,
    parse_command,
)
from bot.slack.paging import PageRef
from bot.slack.prompts import delete_prompt_message
from bot.slack.replies import Respond, answering_failures, send
from bot.slack.services import Listener, Services

#: Tell the user their lookup is queued when the rate limit makes it wait longer than this.
QUEUE_NOTICE_SECONDS = 3.0

#: How each kind of ``/order`` is named in the metrics.
SUBCOMMANDS: dict[type, str] = {
    Lookup: "lookup",
    ByPo: "po",
    Delete: "delete",
    Holds: "holds",
    Status: "status",
    Help: "help",
}


def requester_of(command: dict[str, Any]) -> Requester:
    return Requester(
        command.get("user_id", ""), command.get("user_name", ""), command.get("channel_id", "")
    )


async def _tell_if_queued(services: Services, respond: Respond) -> None:
    wait = services.orders.client.limiter.expected_wait()
    if wait > QUEUE_NOTICE_SECONDS:
        await send(
            respond,
            notice_message(
                f"Ingram Micro's rate limit is reached; your request is queued and should be"
                f" answered in about {wait:.0f} s."
            ),
        )


async def lookup(services: Services, respond: Respond, ref: PageRef) -> None:
    """``/order 20-RD12H`` (a "lookup" ref) or ``/order po CUSTPO`` (a "po" ref), page 1."""
    await _tell_if_queued(services, respond)
    await send(respond, await lookup_answer(services, ref))


async def delete(services: Services, respond: Respond, requester: Requester, ref: str) -> None:
    if services.orders.may_delete(requester):
        await _tell_if_queued(services, respond)
    prepared = await services.orders.request_delete(requester, ref)
    if isinstance(prepared, DeletePrompt):
        message = delete_prompt_message(
            prepared.order, prepared.confirmation_id, prepared.expires_at
        )
    else:
        message = error_message(prepared.message, emoji=":no_entry_sign:")
    await send(respond, message)


async def answer(
    services: Services, parsed: Command, command: dict[str, Any], respond: Respond
) -> None:
    """Work out the answer to an acknowledged ``/order`` and send it through ``respond``."""
    async with answering_failures(respond, f"/order {command.get('text', '').strip()}"):
        match parsed:
            case Lookup(ref):
                await lookup(services, respond, PageRef("lookup", ref))
            case ByPo(po):
                await lookup(services, respond, PageRef("po", po))
            case Delete(ref):
                await delete(services, respond, requester_of(command), ref)
            case Holds(code):
                await send(respond, await watcher.holds(services, code))
            case Status():
                await send(respond, await watcher.status(services))


def make_order_command(services: Services) -> Listener:
    """The ``/order`` listener, bound to ``services``: usage at once in the ack, anything
    else acknowledged at once and answered through ``respond()``."""

    async def order_command(ack: Any, command: dict[str, Any], respond: Respond) -> None:
        began = time.monotonic()
        parsed = parse_command(command.get("text", ""))
        name = SUBCOMMANDS.get(type(parsed), "other")
        if isinstance(parsed, Help):
            await ack(**help_message(parsed.problem).payload())
            services.answered(name, time.monotonic() - began)
            return
        await ack()

        async def answered() -> None:
            await answer(services, parsed, command, respond)
            services.answered(name, time.monotonic() - began)

        services.later(answered(), "answer /order")

    return order_command
