"""``/order holds`` and ``/order status`` over a real poll: what the watcher knows, from the
database alone."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio

from bot.clock import ManualClock
from bot.sandbox.ingram import SANDBOX_COUNTRY, SANDBOX_CUSTOMER, SeedOrder, SeedSuborder
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.shipped import example_rules
from bot.slack.budget import MAX_BLOCK_TEXT
from bot.slack.commands.watcher import writer_line
from bot.slack.mrkdwn import escape
from bot.store import Lease, current_holds, last_poll, outbox_stats, record_failed_poll
from bot.watch.rules_loading import check_rules
from tests.slack.helpers import ask, press


@pytest_asyncio.fixture
async def watched() -> AsyncIterator[tuple[SandboxWorld, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    async with SandboxWorld(retry=FAST_RETRY, clock=clock, poll_interval=3600) as world:
        for _ in range(200):  # the poller's first poll runs at start
            if world.bot.poller.last_report is not None:
                break
            await asyncio.sleep(0.02)
        assert world.bot.poller.last_report.ok
        yield world, clock


async def test_holds_are_grouped_oldest_first_with_how_long(watched) -> None:
    world, clock = watched
    clock.advance(hours=3)
    world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await world.bot.poller.poll_once()
    clock.advance(minutes=5)
    searches = world.state.search_calls
    holds = await ask(world.user(), "holds")
    text = holds.all_text
    assert world.state.search_calls == searches  # from the snapshot, no API call
    assert "shipments on hold" in text
    assert "*20-RD12H-11* (PO CUSTPO) held 3 h 5 min · HARD-9 CUST NOT FLOOR ORD" in text
    assert "*20-RD12H-21* (PO CUSTPO) held 5 min" in text
    # Oldest first: within its group (C3), the new hold comes after the older ones.
    c3 = text[text.index("*`C3` Credit hold*") :].split("\n*`")[0].splitlines()
    assert "20-RD12H-21" in c3[-1]
    assert len(c3) > 2
    # Deleted orders wait for nothing: left out, and said so.
    assert "20-DEL01" not in text
    assert "of deleted orders (`VO`) left out" in text


async def test_many_holds_come_in_pages_that_reach_every_one_and_say_how_to_narrow(
    watched,
) -> None:
    world, clock = watched
    for i in range(150):
        number = f"20-HLD{i:03d}"
        world.state.add_order(
            SeedOrder(
                number,
                SANDBOX_CUSTOMER,
                SANDBOX_COUNTRY,
                clock() - timedelta(hours=1, minutes=i),
                f"PO-HOLD-{i:03d}",
                [SeedSuborder(f"{number}-11", "C", "", "C4" if i % 2 else "CH", "")],
            )
        )
    await world.bot.poller.poll_once()
    held = [r for r in await world.bot.store.run(current_holds, None) if r.holdreasoncode != "VO"]
    alice = world.user()
    first = await ask(alice, "holds")
    pages = [first]
    while any(b.action_id == "page_next" for b in pages[-1].buttons()):
        pages.append(await (await press(alice, pages[-1], "page_next")).reply())
    assert len(pages) > 1
    seen: list[str] = []
    for number, page in enumerate(pages, 1):
        assert page.block_text <= MAX_BLOCK_TEXT and page.replaces == (
            pages[number - 2].id if number > 1 else None
        )
        text = page.all_text
        assert f"{len(held)} shipments on hold" in text and "By hold code:" in text
        assert f"Page {number} of {len(pages)}." in text
        assert "`/order holds CODE` shows one hold code." in text
        seen += re.findall(r"• \*(20-[A-Z0-9]+-\d+)\*", text)
    assert sorted(seen) == sorted(r.subordernumber for r in held)
    assert "_(continued)_" in "\n".join(p.all_text for p in pages[1:])
    c4 = sum(1 for r in held if r.holdreasoncode == "C4")
    only = await ask(alice, "holds C4")  # narrowed down to one code, and nothing else
    assert f"{c4} shipments on hold" in only.all_text and "20-HLD000-11" not in only.all_text


async def test_holds_of_one_code_and_deleted_orders_by_name(watched) -> None:
    world, _clock = watched
    only_ch = (await ask(world.user(), "holds CH")).all_text
    assert "20-RD12H-11" in only_ch and "20-RD12H-31" not in only_ch
    deleted = (await ask(world.user(), "holds VO")).all_text
    assert "20-DEL01-11" in deleted and "left out" not in deleted


async def test_status_reports_the_last_poll_the_backlog_and_dead_letters(watched) -> None:
    world, _clock = watched
    status = (await ask(world.user(), "status")).all_text
    assert ":white_check_mark: succeeded" in status
    assert "2 Ingram calls" in status and "(the baseline: no alerts on a first poll)" in status
    assert "*Polling* every 1 h 0 min" in status
    assert "0 alerts waiting · 0 dead letters" in status
    assert "outbox retry" not in status
    me = f"orderbot serve (pid {os.getpid()} on host {socket.gethostname()})"
    assert f"*Writer* {escape(me)}, since 2026-11-23 10:00:00 UTC; lease renewed" in status

    world.slack.missing_channels.add("credit-alerts")
    world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await world.bot.poller.poll_once()
    world.bot.notifier.wake()
    for _ in range(200):
        if (await world.bot.store.run(outbox_stats, world.clock())).dead:
            break
        await asyncio.sleep(0.02)
    status = (await ask(world.user(), "status")).all_text
    assert "1 dead letter" in status
    assert "for #credit-alerts (rule credit-holds): channel_not_found" in status
    assert "invite the bot" in status
    assert "`orderbot outbox retry --all` posts them again" in status
    assert "`orderbot outbox list --dead`" in status and "`orderbot outbox drop ID`" in status


async def test_a_failed_poll_is_reported_with_its_reason(watched) -> None:
    from bot.sandbox.ingram import Fault

    world, _clock = watched
    world.state.faults.add(Fault(status=503, times=0))
    report = await world.bot.poller.poll_once()
    assert not report.ok
    world.state.faults.clear()
    status = (await ask(world.user(), "status")).all_text
    assert ":x: failed:" in status and "503" in status
    assert "*Last successful poll*" in status


async def test_status_stays_within_the_budget_however_long_the_errors(watched) -> None:
    world, clock = watched
    await world.bot.store.run(
        record_failed_poll,
        started_at=clock(),
        finished_at=clock(),
        calls=1,
        error="Ingram said " + "very long words " * 1000,
    )
    status = await ask(world.user(), "status")
    assert status.block_text <= MAX_BLOCK_TEXT and ":x: failed: Ingram said very" in status.all_text
    assert "…" in status.all_text


async def test_a_failed_polls_stored_error_and_status_carry_no_secret(watched) -> None:
    world, _clock = watched
    world.state.client_secret = "rotated-by-someone"
    world.state.echo_credentials = True
    world.state.expire_tokens()
    report = await world.bot.poller.poll_once()
    secret = world.settings.ingram.client_secret
    assert not report.ok and report.error and "rejected the app credentials" in report.error
    row = await world.bot.store.run(last_poll)
    assert row is not None and row.error and secret not in row.error and "********" in row.error
    status = (await ask(world.user(), "status")).all_text
    assert ":x: failed:" in status and secret not in status


async def test_status_shows_the_rules_in_force_and_a_refusal_until_a_good_load(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    good = example_rules()["credit-holds.yaml"]
    (folder / "credit-holds.yaml").write_text(good, encoding="utf-8")
    clock = ManualClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    async with SandboxWorld(
        retry=FAST_RETRY, clock=clock, poll_interval=3600, rules=folder
    ) as world:
        status = (await ask(world.user(), "status")).all_text
        assert (
            f"*Rules* 1 rule from `{folder}/`, loaded 2026-11-23 10:00:00 UTC (0 s ago)" in status
        )
        assert "refused" not in status

        clock.advance(minutes=5)
        broken = good.replace("C3, C4", "C9, C4").replace("name: credit-holds", "name: <!here>")
        (folder / "credit-holds.yaml").write_text(broken, encoding="utf-8")
        assert not await world.bot.rules.reload()
        clock.advance(minutes=2)
        status = (await ask(world.user(), "status")).all_text
        assert "*Rules* 1 rule from" in status and "(7 min ago)" in status  # the good ones stay
        assert ":x: *Rules refused* 2026-11-23 10:05:00 UTC (2 min ago): 1 problem" in status
        (problem,) = check_rules(folder)
        assert f"• {escape(problem)}" in status
        assert "<!here>" not in status  # a rule's name is text from the file: escaped

        (folder / "credit-holds.yaml").write_text(good, encoding="utf-8")
        assert await world.bot.rules.reload()
        status = (await ask(world.user(), "status")).all_text
        assert "loaded 2026-11-23 10:07:00 UTC (0 s ago)" in status and "refused" not in status


def test_the_writer_line_when_no_process_holds_the_lease() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert writer_line(None, now).startswith("*Writer* none yet")
    gone = Lease("x", "serve", 42, "web-1", now, now, now + timedelta(seconds=30))
    assert writer_line(gone, now + timedelta(minutes=2)) == (
        "*Writer* none: the lease of orderbot serve (pid 42 on host web-1) expired 1 min ago;"
        " the next orderbot serve (or poll --once) takes it"
    )
