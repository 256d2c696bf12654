"""Order cards: the one message per (channel, order) that orderbot edits in place.

A card shows the order and its PO, every known shipment with its status and hold (and since
when it is held), who is on it and whether its reminders are snoozed, and a footer with when
it was last updated. While a shipment is on hold it carries the hold actions: ``hold_take``
("I'm on it"; pressed by the owner, it lets go), ``hold_snooze`` (a static select of ``1h``,
``4h``, ``1d``, ``until_change``) and ``hold_refresh``. Once no shipment is on hold the card
says so, with how long the order was held, and the actions are gone.

The same owner line and actions serve ``/order ORDER`` lookups (``hold_actions``), so an
order that only appeared in a digest can be taken too.

Button values carry the order and the owner the card showed (``press_value``): a press
decides against what the presser saw (``bot.store.owners.take``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.clock import duration_words
from bot.slack.blocks import (
    ACTION_HOLD_REFRESH,
    ACTION_HOLD_SNOOZE,
    ACTION_HOLD_TAKE,
    HOLD_ACTION_IDS,
    Block,
    Message,
    actions,
    button,
    context,
    hold_label,
    pack,
    section,
    status_label,
)

__all__ = [
    "ACTION_HOLD_REFRESH",
    "ACTION_HOLD_SNOOZE",
    "ACTION_HOLD_TAKE",
    "HOLD_ACTION_IDS",
    "card_payload",
    "hold_actions",
    "owner_line",
    "press_value",
    "read_press",
    "release_line",
    "render_card",
]
from bot.slack.budget import MAX_BLOCKS, within_budget
from bot.slack.mrkdwn import api_text, escape, mention, truncate
from bot.store import OrderView, Owner

#: The snooze choices: option value -> words.
SNOOZES = {"1h": "1 h", "4h": "4 h", "1d": "1 day", "until_change": "until it changes"}
#: The block_id of a card's (or a lookup's) hold actions starts with this, then the order.
HOLD_BLOCK = "hold:"
#: The notification text of a card is kept this short.
MAX_TEXT = 3000
#: Characters of shipment lines a card shows: Slack refuses a message of more than 12,000
#: characters of block text (msg_blocks_too_long), and the headline, owner and footer need
#: room too.
LINES_BUDGET = 7000


def _time(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC")


def _day_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def press_value(ordernumber: str, owner: Owner | None) -> str:
    """What a hold button carries: the order and the owner the presser sees (so a press on
    a card that changed meanwhile is refused instead of doing what the presser did not see)."""
    return json.dumps({"order": ordernumber, "owner": owner.owner_id if owner else None})


def read_press(value: str, block_id: str = "") -> tuple[str, str | None] | None:
    """The (order, owner seen) of a press, from a button's value or, for the snooze select
    (whose options carry the choice), from its block's id; None when it is not ours."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("order"), str) and data["order"]:
        owner = data.get("owner")
        return data["order"], owner if isinstance(owner, str) and owner else None
    if block_id.startswith(HOLD_BLOCK):
        order, _, owner = block_id[len(HOLD_BLOCK) :].partition(":")
        return (order, owner or None) if order else None
    return None


def owner_line(owner: Owner | None, now: datetime) -> str:
    """Who is on the order, and its snooze: "@alice is on it since 10:02 · snoozed 4 h"."""
    if owner is not None and owner.owner_id:
        since = f" since {_time(owner.owner_since)}" if owner.owner_since else ""
        who = f":raising_hand: {mention(owner.owner_id)} is on it{since}"
    else:
        who = ":bust_in_silhouette: Nobody is on it"
    if owner is not None and owner.snoozed(now):
        by = f" by {mention(owner.snoozed_by)}" if owner.snoozed_by else ""
        if owner.snooze_until_change:
            who += f" · :zzz: reminders snoozed until the order changes{by}"
        elif owner.snooze_until is not None:
            who += f" · :zzz: reminders snoozed until {_time(owner.snooze_until)}{by}"
    return who


def hold_actions(ordernumber: str, owner: Owner | None) -> Block:
    """The hold actions of an order: I'm on it / let go, snooze, refresh."""
    value = press_value(ordernumber, owner)
    taken = owner is not None and bool(owner.owner_id)
    select: Block = {
        "type": "static_select",
        "action_id": ACTION_HOLD_SNOOZE,
        "placeholder": {"type": "plain_text", "text": "Snooze reminders"},
        "options": [
            {"text": {"type": "plain_text", "text": words}, "value": choice}
            for choice, words in SNOOZES.items()
        ],
    }
    owner_id = owner.owner_id if taken and owner is not None else ""
    return actions(
        button(
            "I'm on it / let go" if taken else "I'm on it",
            ACTION_HOLD_TAKE,
            value,
            style=None if taken else "primary",
        ),
        select,
        button("Refresh", ACTION_HOLD_REFRESH, value),
        block_id=f"{HOLD_BLOCK}{ordernumber}:{owner_id}"[:255],
    )


def _shipment_line(view: OrderView, index: int, now: datetime) -> str:
    s = view.shipments[index]
    name = f"*{escape(s.subordernumber)}*"
    if s.state.deleted:
        hold = " · :wastebasket: deleted"
    elif s.state.on_hold:
        if s.hold_since is None:
            since = ""
        elif view.watch_started is not None and s.hold_since <= view.watch_started:
            since = ", since before orderbot started watching"
        else:
            since = f", for {duration_words(now - s.hold_since)}"
        hold = f" · :no_entry: hold {hold_label(s.holdreasoncode, s.holdreason)}{since}"
    else:
        hold = " · no hold"
    return f"• {name}  {status_label(s.statuscode, s.status)}{hold}"


def _within(budget: int, lines: Iterable[str]) -> list[str]:
    """The first lines whose total length (with newlines) stays within ``budget``."""
    kept: list[str] = []
    for line in lines:
        budget -= len(line) + 1
        if budget < 0:
            break
        kept.append(line)
    return kept


def release_line(view: OrderView, now: datetime) -> str | None:
    """What the card says once nothing is on hold (None while something is, or when the
    order was never seen on hold)."""
    if view.on_hold or view.hold is None:
        return None
    if view.deleted:
        return ":wastebasket: The order was deleted; nothing is on hold any more."
    if view.hold.before_watching:
        held = "it was held since before orderbot started watching"
    else:
        end = view.hold.released_at or now
        held = f"it was held for {duration_words(end - view.hold.held_since)}"
    return f":white_check_mark: No shipment is on hold any more; {held}."


def render_card(view: OrderView, *, headline: str, now: datetime) -> Message:
    """The card of an order as it is now, within Slack's budget (``bot.slack.budget``).
    ``headline`` is the latest alert's rule message (mrkdwn, escaped already) and the
    notification text."""
    budget = LINES_BUDGET
    while True:
        message = _card(view, headline=headline, now=now, budget=budget)
        if within_budget(message.blocks) or budget < 500:
            return message
        budget //= 2


def _card(view: OrderView, *, headline: str, now: datetime, budget: int) -> Message:
    po = api_text(view.customerordernumber, 100) or "-"
    held = len(view.on_hold)
    count = len(view.shipments)
    top = f"*Order {escape(view.ordernumber)}* · PO *{po}* · {count} shipment" + (
        "s" if count != 1 else ""
    )
    if held:
        top += f" · {held} on hold"
    blocks: list[Block] = [section(truncate(headline, 2900)), section(top)]
    released = release_line(view, now)
    lines = _within(budget, (_shipment_line(view, i, now) for i in range(count)))
    room = MAX_BLOCKS - len(blocks) - 4  # release or owner, actions, "…more", footer
    packed, left = pack(lines, max(1, room)) if lines else ([], 0)
    left += count - len(lines)
    if not lines:
        packed = [context("No shipment of this order is in orderbot's snapshot.")]
    blocks += packed
    if left:
        blocks.append(context(f"…and {left} more shipments not shown here."))
    if held:
        blocks.append(context(owner_line(view.owner, now)))
        blocks.append(hold_actions(view.ordernumber, view.owner))
    elif released:
        blocks.append(section(released))
    read = f" · read from Ingram {_day_time(view.read_at)}" if view.read_at else ""
    refreshed = f" (refreshed by {mention(view.refreshed_by)})" if view.refreshed_by else ""
    blocks.append(context(f"Updated {_day_time(now)}{read}{refreshed}"))
    return Message(truncate(headline, MAX_TEXT), blocks[:MAX_BLOCKS])


def card_payload(view: OrderView, *, headline: str, now: datetime) -> dict[str, Any]:
    """``text`` and ``blocks`` of a card for ``chat.postMessage``/``chat.update``. The
    headline is mrkdwn escaped already, so the text is not escaped again."""
    message = render_card(view, headline=headline, now=now)
    return {"text": message.text, "blocks": message.blocks}
