"""Summaries: read and checked from the rules, scheduled on the clock passed in with the
slot in the database (a restart neither skips nor repeats one), grouped by hold reason,
oldest first, with ages and owners, within Slack's limits; and ``orderbot summary NAME``
as a real process over the emulators."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot import store as st
from bot.sandbox.ingram import SandboxState, start_sandbox
from bot.sandbox.slack import SlackStandIn
from bot.store.presses import press_take
from bot.watch.rules_loading import check_rules
from bot.watch.scheduled import Scheduled
from bot.watch.writer import Writer
from tests.cli.test_cli import orderbot, sandbox_env
from tests.cli.test_poll import poll
from tests.test_startup import Serve, serve_env
from tests.watch.test_poller import Harness, open_harness

RULES = """
rules:
  - name: credit-holds
    on: hold_placed
    match: {holdreasoncode: [C3, CH]}
    channel: "#credit-alerts"
summaries:
  - name: morning-credit
    channel: "#credit-alerts"
    at: ["09:00", "14:00"]
    timezone: Europe/London
    match: {holdreasoncode: [C3, CH]}
  - name: nothing
    channel: "#credit-alerts"
    at: "09:00"
    match: {customerordernumber: NO-SUCH-PO}
"""


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(tmp_path) as harness:
        yield harness


def test_summaries_are_checked_naming_file_summary_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules: []\nsummaries:\n  - name: s\n    channel: nope\n    at: 9am\n"
        "    timezon: UTC\n    match: {holdcode: [C3]}\n  - name: s2\n",
        encoding="utf-8",
    )
    problems = check_rules(path)
    shown = f"{path}: summary "
    assert all(p.startswith(shown) for p in problems), problems
    text = "\n".join(problems)
    assert '"s": unknown key "timezon" (did you mean "timezone"?)' in text
    assert '"s": at: expected a time such as "09:00"' in text
    assert '"s": channel:' in text
    assert '"s": match.holdcode: unknown field "holdcode"' in text
    assert '"s2": channel: missing' in text and '"s2": at: missing' in text


async def test_a_summary_runs_once_a_slot_across_a_restart_and_says_who_is_on_it(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    rules = h.rules(RULES)
    poller = h.poller(rules)
    await poller.poll_once()  # Wednesday 10:00 UTC (10:00 in London): 20-RD12H-11 is on CH
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await h.notifier().drain(timeout=5)
    jobs = Scheduled(h.store, Writer(h.store, clock=h.clock), lambda: rules, clock=h.clock)
    assert await jobs.run_due() == 0  # first seen: counts from its next slot (14:00)
    await h.store.run(
        press_take,
        ordernumber="20-RD12H",
        user_id="U0ALICE",
        user_name="alice",
        expected_owner=None,
        now=h.clock(),
        note=lambda _r: None,
    )
    h.clock.set(h.clock().replace(hour=14, minute=0, second=30))
    with caplog.at_level(logging.INFO, "orderbot.summaries"):
        assert await jobs.run_due() == 1
    assert "summary nothing" not in caplog.text  # not due: first seen at 10:05 (after 09:00)
    again = await st.AsyncStore.open(h.store.path)
    try:  # a restart in the same slot: not again
        restarted = Scheduled(again, Writer(again, clock=h.clock), lambda: rules, clock=h.clock)
        assert await restarted.run_due() == 0
    finally:
        await again.close()
    await h.notifier().drain(timeout=5)
    summary = h.channel_messages("#credit-alerts")[-1]
    assert summary.text.startswith("morning-credit: ")
    text = summary.all_text
    # Grouped by hold reason, the oldest hold first: in C3, the new hold comes last.
    c3 = text[text.index("*`C3`") :].split("\n*`")[0].splitlines()
    assert "20-RD12H-21" in c3[-1] and len(c3) > 2
    assert "*20-RD12H-21* (PO CUSTPO) held 3 h 55 min · <@U0ALICE> is on it" in text
    assert "*20-RD12H-11* (PO CUSTPO) held 4 h 0 min · <@U0ALICE> is on it" in text

    # The next morning: both run; the one that matches nothing is skipped with a log line.
    h.clock.set(h.clock().replace(hour=9, minute=1) + timedelta(days=1))
    with caplog.at_level(logging.INFO, "orderbot.summaries"):
        assert await jobs.run_due() == 1
    assert "summary nothing (due " in caplog.text and "nothing on hold matches it" in caplog.text


async def test_orderbot_summary_dry_run_prints_it_and_without_posts_it(tmp_path: Path) -> None:
    ingram = await start_sandbox(SandboxState())
    slack = SlackStandIn()
    await slack.start()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    env = sandbox_env(
        ingram.url,
        tmp_path,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_API_URL=slack.api_url,
        ORDERBOT_RULES=str(rules),
    )
    try:
        assert (await poll(env)).status == 0  # the baseline: a snapshot to summarise
        dry = await orderbot("summary", "morning-credit", "--dry-run", env=env)
        assert dry.status == 0, dry.err
        assert "── #credit-alerts" in dry.out and "20-RD12H-11" in dry.out
        assert slack.messages == []
        posted = await orderbot("summary", "morning-credit", env=env)
        assert posted.status == 0, posted.err
        assert "posted 1 page(s) to #credit-alerts" in posted.out
        [message] = [m for m in slack.messages if m.kind == "post"]
        assert "20-RD12H-11" in message.all_text
        unknown = await orderbot("summary", "morning-credt", env=env)
        assert unknown.status == 2 and "Traceback" not in unknown.err
        assert 'no summary "morning-credt"' in unknown.err and "morning-credit" in unknown.err
        empty = await orderbot("summary", "nothing", env=env)
        assert empty.status == 0 and "nothing on hold matches it" in empty.out
    finally:
        await slack.stop()
        await ingram.stop()


def test_a_long_summary_is_paged_within_slacks_limits() -> None:
    from datetime import UTC, datetime

    from bot.slack.budget import block_text
    from bot.store import SnapshotRow
    from bot.watch.summaries import Summary
    from bot.watch.summary_run import summary_pages

    now = datetime(2024, 3, 6, 9, 0, tzinfo=UTC)
    rows = [
        SnapshotRow(f"20-X{n:04}-11", f"20-X{n:04}", "P" * 80, "", "C", "", "C3", "", now, now, now)
        for n in range(2000)
    ]
    pages = summary_pages(Summary("big", "#c", (), frozenset()), rows, {}, now)
    assert len(pages) > 5
    assert all(len(blocks) <= 50 and block_text(blocks) <= 11_000 for _t, blocks in pages)
    assert pages[1][0] == f"big: 2000 shipments on hold (page 2 of {len(pages)})"
    shown = sum(t.count("• *20-X") for _t, b in pages for t in [str(b)])
    assert shown == 2000  # nothing dropped


async def test_orderbot_summary_while_serve_holds_the_lease_is_posted_once_by_serve(
    tmp_path: Path,
) -> None:
    """The command queues the pages and leaves the posting to the writer: serve posts them
    within seconds, once; the command never posts beside it."""
    ingram = await start_sandbox(SandboxState(rate_limit=100_000))
    slack = SlackStandIn()
    await slack.start()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    env = serve_env(
        ingram,
        slack,
        tmp_path,
        SLACK_SIGNING_SECRET="summary-secret",
        ORDERBOT_RULES=str(rules),
        ORDERBOT_POLL_INTERVAL="0.5",
        INGRAM_RATE_LIMIT="100000",
    )
    serve = await Serve.start(env)
    try:
        await serve.line(r"poll \d+ ok \(baseline")
        queued = await orderbot("summary", "morning-credit", env=env)
        assert queued.status == 0, queued.err
        assert "1 page(s) queued; orderbot serve (pid" in queued.out
        assert f"pid {serve.process.pid} " in queued.out
        posted = await slack.wait_for(lambda m: "20-RD12H-11" in m.all_text, timeout=15)
        assert posted.channel == slack.channel_id("credit-alerts")
        await serve.line(r"poll \d+ ok")  # a few more writer passes: still one post
        await serve.line(r"poll \d+ ok")
        summaries = [m for m in slack.messages if m.kind == "post" and m.ts == posted.ts]
        assert len(summaries) == 1
        assert len([m for m in slack.messages if m.kind == "post"]) == 1
    finally:
        serve.terminate()
        status, _took = await serve.ended()
        await slack.stop()
        await ingram.stop()
    assert status == 0, serve.log
    assert "Traceback" not in serve.log
