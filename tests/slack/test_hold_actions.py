"""The hold actions of an order card, pressed over loopback: signed requests from the Slack
stand-in to the running bot, the card edited in place by the notifier (through the outbox),
a short line in the card's thread, the audit trail, and two users pressing at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio

from bot.clock import ManualClock
from bot.sandbox.slack import Message
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.store import audit_log, get_owner
from tests.slack.helpers import ask, press

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def carded() -> AsyncIterator[tuple[SandboxWorld, Message]]:
    """A running bot whose poll put 20-RD12H-21 on a credit hold: its card in #credit-alerts."""
    clock = ManualClock(NOW)
    async with SandboxWorld(retry=FAST_RETRY, clock=clock, poll_interval=3600) as world:
        for _ in range(200):  # the poller's first poll (the baseline) runs at start
            if world.bot.poller.last_report is not None:
                break
            await asyncio.sleep(0.02)
        clock.advance(minutes=5)
        world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
        await world.bot.poller.poll_once()
        world.bot.notifier.wake()
        card = await world.slack.wait_for(
            lambda m: m.kind == "post" and m.text.startswith("Credit hold on 20-RD12H-21")
        )
        yield world, card


async def version(world: SandboxWorld, card: Message, has: str) -> Message:
    """The card's current version, once it shows ``has``."""
    await world.slack.wait_until(
        lambda: has in (world.slack.current(card.id) or card).all_text,
        5.0,
        lambda: f"the card never showed {has!r}: {(world.slack.current(card.id) or card).all_text}",
    )
    current = world.slack.current(card.id)
    assert current is not None
    return current


def thread(world: SandboxWorld, card: Message) -> list[str]:
    return [m.text for m in world.slack.messages if m.kind == "post" and m.thread_ts == card.ts]


async def test_take_then_let_go_updates_the_card_for_everyone_and_says_so_in_the_thread(
    carded: tuple[SandboxWorld, Message],
) -> None:
    world, card = carded
    alice = world.user()
    assert "Nobody is on it" in card.all_text
    result = await press(alice, card, "I'm on it")
    taken = await version(world, card, "<@U0ALICE> is on it since 10:05 UTC")
    assert taken.kind == "update" and taken.ts == card.ts  # edited in place, not an ephemeral
    await world.slack.wait_until(
        lambda: "<@U0ALICE> is on it" in thread(world, card), 5.0, lambda: str(thread(world, card))
    )
    assert not [m for m in world.slack.messages if m.response_url == result.response_url]
    owner = await world.bot.store.run(get_owner, "20-RD12H")
    assert owner is not None and owner.owner_id == "U0ALICE"

    # Pressed by the owner, it lets go.
    await press(alice, taken, "I'm on it / let go")
    free = await version(world, card, "Nobody is on it")
    assert "[I'm on it]" not in free.all_text and "I'm on it" in free.all_text
    await world.slack.wait_until(
        lambda: "<@U0ALICE> let go of it; nobody is on it now" in thread(world, card),
        5.0,
        lambda: str(thread(world, card)),
    )
    audit = await world.bot.store.run(audit_log, 10)
    takes = [(a.user_id, a.outcome) for a in audit if a.action == "hold_take"]
    assert sorted(takes) == [("U0ALICE", "let go"), ("U0ALICE", "taken")]


async def test_two_users_pressing_at_once_one_takes_it_the_other_is_told(
    carded: tuple[SandboxWorld, Message],
) -> None:
    world, card = carded
    bob, carol = world.user("U0BOB", "bob"), world.user("U0CAROL", "carol")
    results = await asyncio.gather(press(bob, card, "I'm on it"), press(carol, card, "I'm on it"))
    for _ in range(500):
        audit = await world.bot.store.run(audit_log, 10)
        if len([a for a in audit if a.action == "hold_take"]) == 2:
            break
        await asyncio.sleep(0.02)
    owner = await world.bot.store.run(get_owner, "20-RD12H")
    assert owner is not None and owner.owner_id in ("U0BOB", "U0CAROL")
    winner = owner.owner_id
    loser = next(r for r, who in zip(results, ("U0BOB", "U0CAROL"), strict=True) if who != winner)
    told = await loser.reply()
    assert told.is_ephemeral and f"<@{winner}> is on it now" in told.all_text
    await version(world, card, f"<@{winner}> is on it")
    outcomes = sorted(a.outcome for a in await world.bot.store.run(audit_log, 10))
    assert outcomes.count("taken") == 1 and outcomes.count("changed") == 1
    await world.slack.wait_until(
        lambda: any("is on it" in t for t in thread(world, card)), 5.0, lambda: "no line"
    )
    assert len([t for t in thread(world, card) if "is on it" in t]) == 1


async def test_snooze_and_refresh_show_on_the_card(carded: tuple[SandboxWorld, Message]) -> None:
    world, card = carded
    bob = world.user("U0BOB", "bob")
    result = await bob.choose(card, "hold_snooze", "4h")
    assert result.status == 200
    snoozed = await version(world, card, "reminders snoozed until 14:05 UTC by <@U0BOB>")
    assert snoozed.ts == card.ts
    await world.slack.wait_until(
        lambda: "<@U0BOB> snoozed reminders for 4 h" in thread(world, card),
        5.0,
        lambda: str(thread(world, card)),
    )

    # Ingram releases the hold; nobody polled yet. Refresh re-reads the order now.
    world.clock.advance(minutes=1)
    world.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="")
    searches = world.state.search_calls
    await press(bob, snoozed, "Refresh")
    refreshed = await version(world, card, "(refreshed by <@U0BOB>)")
    assert world.state.search_calls > searches
    assert "· 2 on hold" in refreshed.all_text
    audit = await world.bot.store.run(audit_log, 10)
    assert {a.action for a in audit} >= {"hold_snooze", "hold_refresh"}


async def test_a_press_that_is_not_ours_is_answered_in_one_line(
    carded: tuple[SandboxWorld, Message],
) -> None:
    world, card = carded
    forged = Message(
        "X1",
        "post",
        card.channel,
        blocks=[
            {
                "type": "actions",
                "block_id": "elsewhere",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "hold_take",
                        "text": {"type": "plain_text", "text": "I'm on it"},
                        "value": "garbage",
                    }
                ],
            }
        ],
        ts=card.ts,
    )
    answer = await (await press(world.user(), forged, "I'm on it")).reply()
    assert answer.is_ephemeral and "not one orderbot understands" in answer.all_text


async def test_a_lookup_shows_the_owner_and_offers_the_same_buttons(
    carded: tuple[SandboxWorld, Message],
) -> None:
    world, card = carded
    alice = world.user()
    lookup = await ask(alice, "20-RD12H")
    assert "Nobody is on it" in lookup.all_text
    told = await (await press(alice, lookup, "I'm on it")).reply()
    assert told.is_ephemeral and "<@U0ALICE> is on it (20-RD12H)" in told.all_text
    await version(world, card, "<@U0ALICE> is on it since 10:05 UTC")  # the card too
    again = await ask(alice, "20-RD12H")
    assert "<@U0ALICE> is on it since 10:05 UTC" in again.all_text
    holds = (await ask(alice, "holds")).all_text
    [line] = [x for x in holds.splitlines() if "*20-RD12H-21*" in x]
    assert line.endswith("· <@U0ALICE> is on it")
