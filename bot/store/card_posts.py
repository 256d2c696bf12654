"""Recording what the notifier did with a row about an order card, in one transaction each.

* ``record_card_post``: the first alert about an order in a channel was posted as its card:
  the row is delivered, the card is remembered (its ``ts`` is the order's thread there).
* ``record_thread_alert``: a later alert was posted in the card's thread: the row is
  delivered and its words become the card's headline.
* ``record_card_update``: a ``card_update`` row was applied with ``chat.update``.
* ``card_lost``: Slack no longer has the card's message (someone deleted it): the row ends
  ``superseded`` and the card is forgotten, so the order's next alert posts a new one.
* ``supersede``: a row that needs no post (an update of a card that is gone).
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from bot.store.cards import card_updated, forget_card, save_card, set_headline
from bot.store.outbox import SUPERSEDED, OutboxRow, mark_delivered, record_delivery


def record_card_post(
    db: Database, row: OutboxRow, *, slack_channel: str, ts: str, at: datetime
) -> bool:
    """The row's post is the order's card (see the module's docstring)."""
    with db.atomic():
        delivered = record_delivery(
            db, row, slack_channel=slack_channel, ts=ts, at=at, start_threads=True
        )
        if delivered:
            save_card(
                db,
                channel=row.channel,
                ordernumber=row.ordernumber,
                slack_channel=slack_channel,
                ts=ts,
                rule=row.rule,
                headline=row.text,
                at=at,
            )
    return delivered


def record_thread_alert(
    db: Database, row: OutboxRow, *, slack_channel: str, ts: str, at: datetime
) -> bool:
    """The row was posted in its order's card thread; its words head the card from now on."""
    with db.atomic():
        delivered = record_delivery(
            db, row, slack_channel=slack_channel, ts=ts, at=at, start_threads=False
        )
        if delivered:
            set_headline(db, row.channel, row.ordernumber, row.text)
    return delivered


def record_card_update(
    db: Database, row: OutboxRow, *, slack_channel: str, ts: str, at: datetime
) -> bool:
    """The card was edited in place (``ts`` is the card's own)."""
    with db.atomic():
        delivered = mark_delivered(db, row.id, slack_channel=slack_channel, ts=ts, at=at)
        if delivered:
            card_updated(db, row.channel, row.ordernumber, at)
    return delivered


def supersede(db: Database, id: int, *, error: str | None = None) -> bool:
    """A row that needs no post any more ends ``superseded``."""
    cursor = db.execute(
        f"UPDATE outbox SET status = '{SUPERSEDED}', last_error = ?"  # noqa: S608
        " WHERE id = ? AND status IN ('pending', 'sending')",
        [error, id],
    )
    return cursor.rowcount == 1


def card_lost(db: Database, row: OutboxRow, *, error: str) -> bool:
    """The card of the row's order is gone from Slack (see the module's docstring)."""
    with db.atomic():
        forget_card(db, row.channel, row.ordernumber)
        return supersede(db, row.id, error=error)
