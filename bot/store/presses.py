"""The buttons of an order's cards and lookups, as the store records them: one transaction a
press, whichever process got it (a standby too: only the writer posts what it queues).

Each press decides (``bot.store.owners``), writes its line in the audit trail (who, when,
what came of it), queues a note in every card's thread of the order (a short line such as
"@alice is on it", when the press changed something) and an update of every card, so that
everyone sees the order as it is now. Two presses at once are two transactions: the store
runs them one after the other, and the second sees what the first did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlite_utils import Database

from bot.clock import iso
from bot.store._sql import immediate
from bot.store.cards import cards_of, queue_card_update, save_reading
from bot.store.confirmations import write_audit
from bot.store.outbox import NOTE
from bot.store.owners import Owner, Take, TakeResult, snooze, take
from bot.store.queueing import insert_rows, message_row
from bot.store.snapshot import SuborderState

#: The audit trail's actions for the three buttons.
TAKE, SNOOZE, REFRESH = "hold_take", "hold_snooze", "hold_refresh"


def announce(db: Database, ordernumber: str, note: str | None, at: datetime) -> int:
    """Queue ``note`` in the thread of every card of the order, and an update of each card;
    how many cards there are."""
    cards = cards_of(db, ordernumber)
    for card in cards:
        if note:
            row = message_row(
                at=at,
                rule=card.rule,
                channel=card.channel,
                kind=NOTE,
                ordernumbers=[ordernumber],
                text=note,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": note}}],
            )
            insert_rows(db.conn, [row])
        queue_card_update(db.conn, card, at)
    return len(cards)


def press_take(
    db: Database,
    *,
    ordernumber: str,
    user_id: str,
    user_name: str,
    expected_owner: str | None,
    now: datetime,
    note: Callable[[TakeResult], str | None],
) -> TakeResult:
    """A press of "I'm on it" (see ``bot.store.owners.take``), audited and announced."""
    with immediate(db):
        result = take(
            db,
            ordernumber,
            user_id=user_id,
            user_name=user_name,
            expected_owner=expected_owner,
            now=now,
        )
        detail = f"owner was {result.previous_id}" if result.previous_id else "nobody was on it"
        write_audit(
            db,
            at=now,
            user_id=user_id,
            user_name=user_name,
            action=TAKE,
            ordernumber=ordernumber,
            outcome=result.outcome.value,
            message=detail,
        )
        if result.outcome is not Take.CHANGED:
            announce(db, ordernumber, note(result), now)
    return result


def press_snooze(
    db: Database,
    *,
    ordernumber: str,
    user_id: str,
    user_name: str,
    until: datetime | None,
    until_change: bool,
    now: datetime,
    note: str,
) -> Owner:
    """Snooze an order's reminders (until ``until``, or until it changes), audited and
    announced."""
    with immediate(db):
        owner = snooze(
            db, ordernumber, user_id=user_id, until=until, until_change=until_change, now=now
        )
        write_audit(
            db,
            at=now,
            user_id=user_id,
            user_name=user_name,
            action=SNOOZE,
            ordernumber=ordernumber,
            outcome="snoozed",
            message="until the order changes" if until_change else f"until {iso(until or now)}",
        )
        announce(db, ordernumber, note, now)
    return owner


def press_refresh(
    db: Database,
    *,
    ordernumber: str,
    user_id: str,
    user_name: str,
    shipments: Sequence[SuborderState],
    now: datetime,
) -> int:
    """Keep the order as Ingram answered a Refresh press just now, audited, and update its
    cards with it (no note: nothing changed hands); how many cards there are."""
    with immediate(db):
        save_reading(db, ordernumber, shipments, at=now, by=user_id)
        held = sum(1 for s in shipments if s.on_hold and not s.deleted)
        write_audit(
            db,
            at=now,
            user_id=user_id,
            user_name=user_name,
            action=REFRESH,
            ordernumber=ordernumber,
            outcome="refreshed",
            message=f"{len(shipments)} shipments, {held} on hold",
        )
        return announce(db, ordernumber, None, now)
