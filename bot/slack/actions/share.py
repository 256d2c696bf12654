"""The "Share in channel" button of a lookup: post a fresh copy of the page for everyone."""

from __future__ import annotations

from typing import Any

from bot.slack.answers import lookup_answer
from bot.slack.commands.parsing import ByPo, Lookup, parse_command
from bot.slack.paging import PageRef
from bot.slack.replies import Respond, answering_failures, send
from bot.slack.services import Listener, Services


def shared_ref(value: str) -> PageRef | None:
    """What a share button shares: a page of a lookup or a PO search. Buttons made before
    answers came in pages carry the command's text (``20-RD12H``, ``po CUSTPO``)."""
    ref = PageRef.parse(value)
    if ref is not None:
        return ref if ref.kind in ("lookup", "po") else None
    parsed = parse_command(value)
    if isinstance(parsed, Lookup):
        return PageRef("lookup", parsed.ref)
    if isinstance(parsed, ByPo):
        return PageRef("po", parsed.po)
    return None


async def share(services: Services, user: str, value: str, respond: Respond) -> None:
    """Look the order (or PO) up again and post that page in the channel for everyone."""
    async with answering_failures(respond, "sharing a lookup", replace_original=False):
        ref = shared_ref(value)
        if ref is None:
            return
        message = await lookup_answer(services, ref, shareable=False, shared_by=user)
        await send(respond, message, response_type="in_channel", replace_original=False)


def make_share(services: Services) -> Listener:
    async def share_lookup(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        services.later(share(services, user, action.get("value", ""), respond), "share lookup")

    return share_lookup
