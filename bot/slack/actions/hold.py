"""The hold actions of order cards and lookups: ``hold_take``, ``hold_snooze``, ``hold_refresh``.

Each listener acks at once and hands the press to ``Services.later``. The press is ONE store
transaction (``bot.store.presses``; any process may record one, a standby too): it decides
against what the presser saw (the owner the button carries), writes the audit trail, and
queues a short line in every card's thread and an update of every card of the order, so
everyone sees the order as it is now. The cards are edited by the notifier of the process
holding the writer lease, through the outbox, like every other message; this process only
wakes it.

Only a press the store refused (someone else took or let go meanwhile), a press that is not
ours, and a press on a lookup (which is no card) get an answer of their own, to the presser
alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.ingram.errors import IngramError
from bot.orders import Requester
from bot.slack.actions.delete import presser_of
from bot.slack.blocks import Message, context, error_message, section
from bot.slack.cards import SNOOZES, read_press
from bot.slack.mrkdwn import escape, mention
from bot.slack.replies import Respond, answering_failures, send
from bot.slack.services import Listener, Services
from bot.store import SuborderState, Take, TakeResult, card_at
from bot.store.presses import press_refresh, press_snooze, press_take

#: How long each snooze choice lasts (``until_change`` lasts until the order next changes).
SNOOZE_FOR = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "1d": timedelta(days=1)}


def take_note(result: TakeResult, presser: Requester) -> str:
    """The line a take press posts in the card's thread."""
    who = mention(presser.user_id)
    if result.outcome is Take.LET_GO:
        return f"{who} let go of it; nobody is on it now"
    if result.outcome is Take.TAKEN_OVER and result.previous_id:
        return f"{who} is on it (taking over from {mention(result.previous_id)})"
    return f"{who} is on it"


async def _not_ours(respond: Respond) -> None:
    await send(
        respond,
        error_message("That button is not one orderbot understands; look the order up again."),
        replace_original=False,
        response_type="ephemeral",
    )


async def _on_a_card(services: Services, body: dict[str, Any]) -> bool:
    """True when the press came from one of orderbot's cards (not a lookup)."""
    channel = (body.get("channel") or {}).get("id") or ""
    ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        return False
    return await services.store.run(card_at, channel, str(ts)) is not None


async def _tell(services: Services, body: dict[str, Any], respond: Respond, said: str) -> None:
    """Confirm a press made on a lookup to the presser (a card shows it to everyone);
    ``said`` is mrkdwn whose only markup is the presser's mention."""
    if not await _on_a_card(services, body):
        plain = said.replace("<@", "@").replace(">", "")
        await send(
            respond,
            Message(plain, [context(said)]),
            replace_original=False,
            response_type="ephemeral",
        )


async def take(
    services: Services, presser: Requester, action: dict[str, Any], body: dict, respond: Respond
) -> None:
    async with answering_failures(respond, "an I'm on it press", replace_original=False):
        press = read_press(action.get("value", ""), action.get("block_id", ""))
        if press is None:
            await _not_ours(respond)
            return
        order, seen = press
        result = await services.store.run(
            press_take,
            ordernumber=order,
            user_id=presser.user_id,
            user_name=presser.user_name,
            expected_owner=seen,
            now=services.clock(),
            note=lambda r: take_note(r, presser),
        )
        services.wake_outbox()
        if result.outcome is Take.CHANGED:
            now_on = result.owner.owner_id
            who = f"{mention(now_on)} is on it now" if now_on else "nobody is on it now"
            said = (
                f":twisted_rightwards_arrows: Someone changed who is on {escape(order)} since"
                f" you saw it: {who}. Press again if you still want to change it."
            )
            await send(
                respond,
                Message(f"Someone changed who is on {order} since you saw it", [section(said)]),
                replace_original=False,
                response_type="ephemeral",
            )
            return
        await _tell(services, body, respond, take_note(result, presser) + f" ({escape(order)})")


async def snooze(
    services: Services, presser: Requester, action: dict[str, Any], body: dict, respond: Respond
) -> None:
    async with answering_failures(respond, "a snooze", replace_original=False):
        choice = str((action.get("selected_option") or {}).get("value") or "")
        press = read_press(action.get("value", ""), action.get("block_id", ""))
        if press is None or choice not in SNOOZES:
            await _not_ours(respond)
            return
        order = press[0]
        now = services.clock()
        until = now + SNOOZE_FOR[choice] if choice in SNOOZE_FOR else None
        words = f"for {SNOOZES[choice]}" if until else "until the order changes"
        note = f"{mention(presser.user_id)} snoozed reminders {words}"
        await services.store.run(
            press_snooze,
            ordernumber=order,
            user_id=presser.user_id,
            user_name=presser.user_name,
            until=until,
            until_change=until is None,
            now=now,
            note=note,
        )
        services.wake_outbox()
        await _tell(services, body, respond, f"{note} ({escape(order)})")


def _states(order: Any) -> list[SuborderState]:
    entry = order.entrytimestamp.isoformat() if order.entrytimestamp else ""
    return [
        SuborderState(
            s.subordernumber,
            order.ordernumber,
            order.customerordernumber,
            entry,
            s.statuscode,
            s.status,
            s.holdreasoncode,
            s.holdreason,
        )
        for s in order.suborders
    ]


async def refresh(
    services: Services, presser: Requester, action: dict[str, Any], body: dict, respond: Respond
) -> None:
    async with answering_failures(respond, "a refresh", replace_original=False):
        press = read_press(action.get("value", ""), action.get("block_id", ""))
        if press is None:
            await _not_ours(respond)
            return
        order_number = press[0]
        try:
            found = await services.orders.lookup(order_number)
        except IngramError as exc:
            await send(
                respond,
                error_message(f"Could not re-read {order_number} from Ingram Micro: {exc}"),
                replace_original=False,
                response_type="ephemeral",
            )
            return
        if not found.orders:
            await send(
                respond,
                error_message(f"Ingram Micro no longer finds order {order_number}."),
                replace_original=False,
                response_type="ephemeral",
            )
            return
        await services.store.run(
            press_refresh,
            ordernumber=order_number,
            user_id=presser.user_id,
            user_name=presser.user_name,
            shipments=_states(found.orders[0]),
            now=services.clock(),
        )
        services.wake_outbox()
        await _tell(services, body, respond, f"Re-read {escape(order_number)} from Ingram Micro.")


def _listener(services: Services, work: Any, name: str) -> Listener:
    async def listener(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        services.later(work(services, presser_of(body), action, body, respond), name)

    return listener


def make_hold_take(services: Services) -> Listener:
    return _listener(services, take, "hold take")


def make_hold_snooze(services: Services) -> Listener:
    return _listener(services, snooze, "hold snooze")


def make_hold_refresh(services: Services) -> Listener:
    return _listener(services, refresh, "hold refresh")
