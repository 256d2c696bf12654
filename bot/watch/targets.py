"""Where and how each outbox row goes to Slack, decided just before it is sent.

* An ``alert`` about one order: the first one in a channel posts the order's card (the
  rule's message is the notification text; the card shows the order as it is when it is
  posted); every later one is a reply in the card's thread (the timeline).
* A ``card_update``: ``chat.update`` of the card, rendered NOW from the store, so an update
  always shows the latest state: applying one twice, or late, can never show an older card
  than the last one applied (one channel's rows go out one at a time, in outbox order).
* A ``note`` or a ``reminder``: a reply in the card's thread (a reminder is broadcast to the
  channel too); without a card, in the order's alert thread or the channel.
* A ``digest`` or a ``summary``: a message of its own in the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.slack.cards import card_payload
from bot.store import Card, OutboxRow, get_card, get_thread, order_view
from bot.store.outbox import ALERT, CARD_UPDATE, NOTE, REMINDER


@dataclass(frozen=True)
class Post:
    """``chat.postMessage`` to ``channel`` (in ``thread_ts``); ``card``: this post is the
    order's card; ``in_card``: it replies in the card's thread."""

    channel: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    broadcast: bool = False
    card: bool = False
    in_card: bool = False


@dataclass(frozen=True)
class Update:
    """``chat.update`` of ``card`` to ``text`` and ``blocks``."""

    card: Card
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class Skip:
    """Nothing to send (the card to update is gone): the row ends superseded."""

    why: str


Plan = Post | Update | Skip


def plan_row(db: Database, row: OutboxRow, now: datetime) -> Plan:
    """What to send for ``row`` now (see the module's docstring)."""
    order = row.ordernumber
    if row.kind == CARD_UPDATE:
        card = get_card(db, row.channel, order) if order else None
        if card is None:
            return Skip("the order has no card in this channel")
        payload = card_payload(order_view(db, order), headline=card.headline, now=now)
        return Update(card, payload["text"], payload["blocks"])
    if row.kind == ALERT and order:
        card = get_card(db, row.channel, order)
        if card is None:
            payload = card_payload(order_view(db, order), headline=row.text, now=now)
            return Post(row.channel, None, payload["text"], payload["blocks"], card=True)
        return Post(card.slack_channel, card.ts, row.text, row.blocks, in_card=True)
    if row.kind in (NOTE, REMINDER) and order:
        card = get_card(db, row.channel, order)
        if card is not None:
            return Post(card.slack_channel, card.ts, row.text, row.blocks, row.broadcast)
        thread = get_thread(db, row.channel, order)
        if thread is not None:
            return Post(thread[0], thread[1], row.text, row.blocks, row.broadcast)
    return Post(row.channel, None, row.text, row.blocks)
