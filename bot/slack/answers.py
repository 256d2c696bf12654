"""The answer to each kind of request that comes in pages, as a ``Message`` for one page:
lookups, PO searches, what is on hold, delete prompts. The commands use them for page 1,
the page buttons (``actions/pages.py``) and "Share in channel" for the page asked for.
"""

from __future__ import annotations

from bot.orders import DeletePrompt, Requester
from bot.slack.blocks import Message
from bot.slack.commands import watcher
from bot.slack.lookups import lookup_message
from bot.slack.paging import PageRef
from bot.slack.prompts import delete_prompt_message, refusal_message
from bot.slack.services import Services
from bot.store import get_owner


async def lookup_answer(
    services: Services, ref: PageRef, *, shareable: bool = True, shared_by: str | None = None
) -> Message:
    """A page of ``/order <ref.query>`` (kind "lookup") or ``/order po <ref.query>`` ("po")."""
    if ref.kind == "po":
        result = await services.orders.lookup_po(ref.query)
    else:
        result = await services.orders.lookup(ref.query)
    owner = None
    if len(result.orders) == 1:
        owner = await services.store.run(get_owner, result.orders[0].ordernumber)
    return lookup_message(
        ref,
        result.orders,
        highlight=result.highlight,
        shareable=shareable,
        shared_by=shared_by,
        owner=owner,
        now=services.clock(),
    )


async def prompt_answer(services: Services, presser: Requester, ref: PageRef) -> Message:
    """A page of a delete prompt that is still live (the order read again), or why not."""
    prepared = await services.orders.prompt_page(presser, ref.query)
    if isinstance(prepared, DeletePrompt):
        return delete_prompt_message(
            prepared.order, prepared.confirmation_id, prepared.expires_at, page=ref.page
        )
    return refusal_message(prepared)


async def page_answer(services: Services, presser: Requester, ref: PageRef) -> Message:
    """The page ``ref`` names, whatever its kind."""
    if ref.kind in ("lookup", "po"):
        return await lookup_answer(services, ref)
    if ref.kind == "holds":
        return await watcher.holds(services, ref.query or None, ref.page)
    return await prompt_answer(services, presser, ref)
