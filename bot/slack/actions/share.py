"""The "Share in channel" button of a lookup: post a fresh copy for everyone to see."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import context, lookup_message
from bot.slack.commands.parsing import ByPo, Lookup, parse_command
from bot.slack.mrkdwn import mention
from bot.slack.replies import Respond, answering_failures, send
from bot.slack.services import Listener, Services


async def share(services: Services, user: str, value: str, respond: Respond) -> None:
    """Look the order (or PO) up again and post it in the channel for everyone."""
    async with answering_failures(respond, "sharing a lookup", replace_original=False):
        parsed = parse_command(value)
        if isinstance(parsed, Lookup):
            result = await services.orders.lookup(parsed.ref)
        elif isinstance(parsed, ByPo):
            result = await services.orders.lookup_po(parsed.po)
        else:
            return
        message = lookup_message(
            result.query,
            result.orders,
            highlight=result.highlight,
            share_value=None,
            by_po=isinstance(parsed, ByPo),
        )
        message.blocks.append(context(f"Shared by {mention(user)}"))
        await send(respond, message, response_type="in_channel", replace_original=False)


def make_share(services: Services) -> Listener:
    async def share_lookup(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        services.later(share(services, user, action.get("value", ""), respond), "share lookup")

    return share_lookup
