"""The Previous and Next buttons of an answer in pages.

The page is made again from fresh data (Ingram for orders, the snapshot for holds, the
confirmation and the order for a delete prompt). Pressed on the ephemeral answer, it replaces
that answer; pressed on a copy shared in a channel, it answers the presser alone.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.actions.delete import presser_of
from bot.slack.answers import page_answer
from bot.slack.paging import PageRef
from bot.slack.replies import Respond, answering_failures, send
from bot.slack.services import Listener, Services

log = logging.getLogger("orderbot.slack")


def _is_ephemeral(body: dict[str, Any]) -> bool:
    container = body.get("container") or {}
    return bool(container.get("is_ephemeral", True))


async def turn(services: Services, body: dict[str, Any], value: str, respond: Respond) -> None:
    """Show the page the button's value names."""
    ref = PageRef.parse(value)
    if ref is None:
        log.warning("a page button carried a value orderbot did not make; ignored")
        return
    options: dict[str, Any] = (
        {"replace_original": True}
        if _is_ephemeral(body)
        else {"replace_original": False, "response_type": "ephemeral"}
    )
    async with answering_failures(respond, "turning a page", **options):
        message = await page_answer(services, presser_of(body), ref)
        await send(respond, message, **options)


def make_turn_page(services: Services) -> Listener:
    """One listener for both buttons: the value says which page."""

    async def turn_page(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        services.later(turn(services, body, action.get("value", ""), respond), "turn a page")

    return turn_page
