"""Order cards over real loopback: polls of the Ingram emulator, the outbox in a SQLite file,
the notifier posting to the Slack stand-in. One card per (channel, order), posted once and
edited in place (the stand-in keeps each message's versions), the thread as the timeline,
how long holds lasted, and all of it across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot import store as st
from bot.sandbox.slack import Message
from bot.slack.cards import HOLD_ACTION_IDS
from tests.watch.test_poller import Harness, open_harness


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(tmp_path) as harness:
        yield harness


def action_ids(message: Message) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def updates(h: Harness) -> list[Message]:
    return [m for m in h.slack.messages if m.kind == "update"]


async def test_a_card_is_posted_once_then_edited_in_place_with_a_thread_timeline(
    h: Harness,
) -> None:
    poller = h.poller()
    await poller.poll_once()  # the baseline: 20-RD12H-11 is on CH already
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)

    [card] = h.channel_messages("#credit-alerts")
    assert card.thread_ts is None
    assert card.text.startswith("Credit hold on 20-RD12H-21 (PO CUSTPO): C3")
    text = card.all_text
    assert "*Order 20-RD12H* · PO *CUSTPO* · 3 shipments · 3 on hold" in text
    assert all(f"20-RD12H-{n}" in text for n in ("11", "21", "31"))
    assert "Nobody is on it" in text
    assert action_ids(card) == list(HOLD_ACTION_IDS)
    stored = await h.store.run(st.get_card, "#credit-alerts", "20-RD12H")
    assert stored is not None and stored.ts == card.ts and stored.slack_channel == card.channel

    # A release goes to #order-alerts (its own card there); #credit-alerts' card is edited in
    # place to the order's new state, although no rule of that channel alerted.
    h.clock.advance(600)
    h.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    assert h.channel_messages("#credit-alerts") == [card]
    [release] = h.channel_messages("#order-alerts")
    assert release.text.endswith("(released after 10 min)")
    current = h.slack.current(card.id)
    assert current is not None and current.kind == "update" and current.ts == card.ts
    assert "· 2 on hold" in current.all_text and current.text == card.text
    assert action_ids(current) == list(HOLD_ACTION_IDS)

    # A later alert of the channel's rule: a reply in the card's thread, and the card again.
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C4")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    card_then, reply = h.channel_messages("#credit-alerts")
    assert card_then is card and reply.thread_ts == card.ts
    assert reply.text.startswith("Credit hold on 20-RD12H-21 (PO CUSTPO): C4")
    current = h.slack.current(card.id)
    assert current is not None and "· 3 on hold" in current.all_text
    assert current.text == reply.text  # the latest alert heads the card
    # Every update edited one of the order's two cards (the release's card in #order-alerts
    # shows the order too): no other message was touched.
    assert {m.ts for m in updates(h)} == {card.ts, release.ts}
    rows = await h.store.run(lambda db: list(db.execute("SELECT kind, status FROM outbox")))
    assert {status for _kind, status in rows} == {"delivered"}


async def test_a_released_card_says_how_long_and_drops_the_actions_across_a_restart(
    h: Harness,
) -> None:
    poller = h.poller()
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    [card] = h.channel_messages("#credit-alerts")

    # Restart: a new process (its own store, poller and notifier) on the same database.
    h.clock.advance(3600 * 2 + 14 * 60)
    for number in ("20-RD12H-11", "20-RD12H-21", "20-RD12H-31"):
        h.state.set_suborder(number, statuscode="", holdreasoncode="")
    again = await st.AsyncStore.open(h.store.path)
    try:
        await h.poller(store=again).poll_once()
        await h.notifier(store=again).drain(timeout=5)
    finally:
        await again.close()

    assert h.channel_messages("#credit-alerts") == [card]  # no second card
    current = h.slack.current(card.id)
    assert current is not None and current.kind == "update"
    assert (
        "No shipment is on hold any more; it was held since before orderbot started watching"
        in current.all_text
    )
    assert action_ids(current) == []
    released = {m.text for m in h.channel_messages("#order-alerts")}
    assert any(
        t.startswith("Hold released on 20-RD12H-21") and t.endswith("(released after 2 h 14 min)")
        for t in released
    )
    assert any(
        t.startswith("Hold released on 20-RD12H-11")
        and t.endswith("(held since before orderbot started watching)")
        for t in released
    )


async def test_a_card_update_in_doubt_is_repeated_and_a_lost_card_is_posted_anew(
    h: Harness,
) -> None:
    poller = h.poller()
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    [card] = h.channel_messages("#credit-alerts")

    # The first chat.update's answer never comes back: it is simply sent again (the same
    # content is idempotent), with no read-back of the channel.
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-31", statuscode="", holdreasoncode="")
    await poller.poll_once()
    h.slack.fail("chat.update", mode="drop", times=1)
    notifier = h.notifier()
    await notifier.drain(timeout=1)
    h.clock.advance(5)  # past the backoff
    await notifier.drain(timeout=5)
    assert notifier.readback.calls == 0
    # The dropped one was applied (Slack did it, the answer was lost), then repeated.
    first, repeated = [m for m in updates(h) if m.ts == card.ts]
    assert first.all_text.splitlines()[:-1] == repeated.all_text.splitlines()[:-1]
    current = h.slack.current(card.id)
    assert current is not None and "· 2 on hold" in current.all_text

    # Someone deleted the card in Slack: the update is dropped, the card forgotten, and the
    # order's next alert posts a new card.
    await h.web.chat_delete(channel=card.channel, ts=card.ts)
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="C4")
    await poller.poll_once()  # hold_changed: only the card update is queued here
    await h.notifier().drain(timeout=5)
    assert await h.store.run(st.get_card, "#credit-alerts", "20-RD12H") is None
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="")
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="C5")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    posts = h.channel_messages("#credit-alerts")
    assert len(posts) == 2 and posts[1].thread_ts is None
    assert action_ids(posts[1]) == list(HOLD_ACTION_IDS)
