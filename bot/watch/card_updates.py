"""Applying a ``card_update`` row: ``chat.update`` of an order's card (``bot.watch.targets``
rendered it from the store just now).

``chat.update`` to the same content is idempotent, so an attempt that ended without an
answer is simply repeated, with no read-back of the channel (a ``card_update`` row is never
looked for). A card Slack no longer has (someone deleted it) is forgotten: the row ends
superseded and the order's next alert posts a new card.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.store import OutboxRow
from bot.store.card_posts import card_lost, record_card_update
from bot.watch.slack_answers import error_of, is_slack_json, network_error, not_json_error
from bot.watch.targets import Update

if TYPE_CHECKING:
    from bot.watch.delivery import Delivery

log = logging.getLogger("orderbot.notifier")

#: Slack's errors for a ``chat.update`` of a message that is no longer there.
CARD_GONE = frozenset({"message_not_found"})
#: The method, as ``Delivery``'s post observer is told it.
UPDATE = "chat.update"


async def update_card(delivery: Delivery, row: OutboxRow, plan: Update) -> str:
    """Edit the card in place and record the outcome: "delivered", "retry", "dead" or
    "gone" (the card is gone from Slack)."""
    card = plan.card
    if not await delivery._begin(row, card.slack_channel, None):
        return "gone"
    args = {"channel": card.slack_channel, "ts": card.ts, "text": plan.text, "blocks": plan.blocks}
    try:
        await delivery._call(UPDATE, args)
    except SlackApiError as exc:
        if not is_slack_json(exc):
            return await delivery._retry(row, not_json_error(exc), None)
        status, error, headers = error_of(exc)
        if error in CARD_GONE:
            await delivery._record(row.id, card_lost, row=row, error=error)
            delivery._forget(row.id)
            log.info(
                "the card of %s in %s is gone from Slack (%s); the next alert posts a new one",
                row.ordernumber,
                row.channel,
                error,
            )
            return "gone"
        return await delivery._failed(row, status, error, headers)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return await delivery._retry(row, network_error(exc), None)
    except SlackClientError as exc:
        return await delivery._dead(row, type(exc).__name__, str(exc)[:200])
    await delivery._record(
        row.id,
        record_card_update,
        row=row,
        slack_channel=card.slack_channel,
        ts=card.ts,
        at=delivery.clock(),
    )
    delivery._forget(row.id)
    log.debug("updated the card of %s in %s (outbox #%d)", row.ordernumber, row.channel, row.id)
    return "delivered"
