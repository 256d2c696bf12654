"""Reminders, settling and hours over real loopback, on a manual clock: polls of the Ingram
emulator, the outbox and the reminders as rows in a SQLite file, the notifier posting to the
Slack stand-in, and the writer's scheduled pass (``Scheduled.run_due``) run at chosen times,
across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio

from bot import store as st
from bot.sandbox.slack import Message
from bot.slack.commands.watcher import status
from bot.slack.services import Services
from bot.store.presses import press_snooze, press_take
from bot.watch.scheduled import Scheduled
from bot.watch.writer import Writer
from tests.watch.test_poller import Harness, open_harness

RULES = """
rules:
  - name: credit-holds
    on: hold_placed
    match: {holdreasoncode: [C3, C4, C5]}
    channel: "#credit-alerts"
    remind_after: 90s
    remind_every: 2m
  - name: releases
    on: hold_released
    channel: "#order-alerts"
"""


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(tmp_path) as harness:
        yield harness


def scheduled(h: Harness, store: st.AsyncStore | None = None, text: str = RULES) -> Scheduled:
    store = store or h.store
    rules = h.rules(text)
    return Scheduled(store, Writer(store, clock=h.clock), lambda: rules, clock=h.clock)


def thread_of(h: Harness, card: Message) -> list[Message]:
    return [m for m in h.posts() if m.thread_ts == card.ts]


async def test_reminders_in_the_cards_thread_none_while_snoozed_none_after_release(
    h: Harness,
) -> None:
    poller = h.poller(h.rules(RULES))
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    [card] = h.channel_messages("#credit-alerts")
    jobs = scheduled(h)

    h.clock.advance(60)
    assert await jobs.run_due() == 0  # not yet: 90 s
    h.clock.advance(31)
    assert await jobs.run_due() == 1
    await h.notifier().drain(timeout=5)
    [reminder] = thread_of(h, card)
    assert reminder.raw.get("reply_broadcast") is True  # the channel sees it too
    assert reminder.text == ("Still on C3 CREDIT HOLD after 1 min (20-RD12H-21); nobody is on it")

    # Alice takes it: the next reminder says so.
    await h.store.run(
        press_take,
        ordernumber="20-RD12H",
        user_id="U0ALICE",
        user_name="alice",
        expected_owner=None,
        now=h.clock(),
        note=lambda _r: "<@U0ALICE> is on it",
    )
    h.clock.advance(120)
    assert await jobs.run_due() == 1
    await h.notifier().drain(timeout=5)
    assert thread_of(h, card)[-1].text.endswith("; <@U0ALICE> is on it since 10:06")

    # Snoozed for an hour: no reminder meanwhile, even across a restart.
    await h.store.run(
        press_snooze,
        ordernumber="20-RD12H",
        user_id="U0BOB",
        user_name="bob",
        until=h.clock() + timedelta(hours=1),
        until_change=False,
        now=h.clock(),
        note="<@U0BOB> snoozed reminders for 1 h",
    )
    for _ in range(3):
        h.clock.advance(120)
        assert await jobs.run_due() == 0
    again = await st.AsyncStore.open(h.store.path)
    try:
        restarted = scheduled(h, again)
        assert await restarted.run_due() == 0
        h.clock.advance(3600)
        assert await restarted.run_due() == 1  # the snooze is over
        [open_one] = await again.run(st.open_reminders)
        assert open_one.sent == 3

        # Released: the reminder ends, and none comes again.
        h.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="")
        h.clock.advance(60)
        await h.poller(h.rules(RULES), store=again).poll_once()
        assert await again.run(st.open_reminders) == []
        h.clock.advance(3600)
        assert await restarted.run_due() == 0
        await h.notifier(store=again).drain(timeout=5)
    finally:
        await again.close()
    reminders = [m for m in thread_of(h, card) if m.text.startswith("Still on")]
    assert len(reminders) == 3


SETTLE = """
rules:
  - name: credit-holds
    on: hold_placed
    match: {holdreasoncode: [C3, C4, C5]}
    channel: "#credit-alerts"
    settle: 10m
  - name: releases
    on: hold_released
    channel: "#order-alerts"
"""


async def test_settle_swallows_a_hold_placed_and_released_inside_the_window(h: Harness) -> None:
    rules = h.rules(SETTLE)
    poller = h.poller(rules)
    jobs = scheduled(h, text=SETTLE)
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await h.notifier().drain(timeout=2)
    assert h.posts() == []  # it settles first
    stats = await h.store.run(st.outbox_stats, h.clock())
    assert (stats.settling, stats.pending) == (1, 0)

    h.clock.advance(300)  # released 5 minutes later: inside the 10 minutes
    h.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="")
    await poller.poll_once()
    h.clock.advance(600)
    assert await jobs.run_due() == 0
    await h.notifier().drain(timeout=2)
    assert h.posts() == []  # neither the hold nor its release
    stats = await h.store.run(st.outbox_stats, h.clock())
    assert stats.undone == 2 and stats.settling == 0
    said = (await status(Services(None, h.store, h.clock))).blocks  # type: ignore[arg-type]
    assert "2 alerts kept quiet by settling (undone in time)" in str(said)

    # A hold that stays is posted once its settle time is over.
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C4")
    await poller.poll_once()
    h.clock.advance(599)
    assert await jobs.run_due() == 0
    h.clock.advance(2)
    assert await jobs.run_due() == 1
    await h.notifier().drain(timeout=5)
    [card] = h.channel_messages("#credit-alerts")
    assert card.text == "Hold placed on 20-RD12H-21: C4 CREDIT HOLD"


HOURS = """
rules:
  - name: credit-holds
    on: hold_placed
    match: {holdreasoncode: [C3, C4, C5]}
    channel: "#credit-alerts"
    hours: {days: mon-fri, from: "18:00", to: "19:00", timezone: UTC}
"""


async def test_alerts_outside_hours_wait_and_go_out_as_one_digest_when_they_begin(
    h: Harness,
) -> None:
    rules = h.rules(HOURS)
    poller = h.poller(rules)
    jobs = scheduled(h, text=HOURS)
    await poller.poll_once()  # Wednesday 10:00 UTC: outside 18:00-19:00
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    h.state.set_suborder("20-MX14B-11", statuscode="C", holdreasoncode="C5")
    await poller.poll_once()
    await h.notifier().drain(timeout=2)
    assert h.posts() == []
    assert (await h.store.run(st.outbox_stats, h.clock())).waiting_hours == 2
    assert await jobs.run_due() == 0
    h.clock.set(h.clock().replace(hour=18, minute=0, second=1))
    assert await jobs.run_due() == 1
    await h.notifier().drain(timeout=5)
    [digest] = h.channel_messages("#credit-alerts")
    assert digest.text == "2 alerts of rule credit-holds waited for its hours"
    assert "20-RD12H-21" in digest.all_text and "20-MX14B-11" in digest.all_text
    stats = await h.store.run(st.outbox_stats, h.clock())
    assert (stats.waiting_hours, stats.pending) == (0, 0)
