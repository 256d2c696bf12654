"""The poller over real loopback: the Ingram emulator, the Slack stand-in, a SQLite file.

Every test runs on a ``ManualClock`` (a Wednesday morning; the window test moves it to a
Saturday) with the client's window check off unless the test is about windows, so nothing
depends on the hour or the weekday.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from bot import store as st
from bot.clock import ManualClock
from bot.ingram import IngramClient, RetryPolicy
from bot.ingram.ratelimit import Priority
from bot.sandbox.ingram import (
    SANDBOX_CUSTOMER,
    Fault,
    RunningSandbox,
    SandboxState,
    SeedOrder,
    build_bulk,
    build_seed,
    start_sandbox,
    sub,
)
from bot.sandbox.slack import Message, SlackStandIn
from bot.sandbox.world import sandbox_ingram_settings
from bot.watch.notifier import Notifier
from bot.watch.poller import Poller
from bot.watch.rules import RuleSet
from bot.watch.rules_loading import load_rules

#: A Wednesday, 10:00 UTC (UK window open; the window check is off anyway).
START = datetime(2024, 3, 6, 10, 0, tzinfo=UTC)
SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"

ALL_EVENTS_RULES = """
rules:
  - name: placed
    on: hold_placed
    channel: "#placed"
  - name: released
    on: hold_released
    channel: "#released"
  - name: changed
    on: hold_changed
    channel: "#changed"
  - name: status
    on: status_changed
    channel: "#status"
  - name: added
    on: suborder_added
    channel: "#added"
"""


@dataclass
class Harness:
    """Everything a watcher test needs, on loopback, with one manual clock."""

    clock: ManualClock
    ingram: RunningSandbox
    client: IngramClient
    store: st.AsyncStore
    slack: SlackStandIn
    web: AsyncWebClient
    tmp_path: Path
    pollers: list[Poller] = field(default_factory=list)
    notifiers: list[Notifier] = field(default_factory=list)

    @property
    def state(self) -> SandboxState:
        return self.ingram.state

    def rules(self, text: str | None = None) -> RuleSet:
        """The shipped rules, or rules written to a file in tmp_path."""
        if text is None:
            return load_rules(SHIPPED_RULES)
        path = self.tmp_path / f"rules-{len(text)}-{hash(text) & 0xFFFF}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_rules(path)

    def poller(self, rules: RuleSet | None = None, **options: Any) -> Poller:
        poller = Poller(
            options.pop("client", self.client),
            options.pop("store", self.store),
            rules if rules is not None else self.rules(),
            clock=self.clock,
            **options,
        )
        self.pollers.append(poller)
        return poller

    def notifier(self, **options: Any) -> Notifier:
        options.setdefault("clock", self.clock)
        if options["clock"] is self.clock:  # retry deadlines move with the manual clock
            options.setdefault("monotonic", self.clock.monotonic)
        options.setdefault("per_channel_interval", 0.01)
        options.setdefault("idle_interval", 0.2)
        options.setdefault("backoff_base", 1.0)
        options.setdefault("backoff_cap", 8.0)
        notifier = Notifier(options.pop("store", self.store), self.web, **options)
        self.notifiers.append(notifier)
        return notifier

    def channel_messages(self, channel: str) -> list[Message]:
        """Posts the stand-in recorded in a channel (by name, with or without #)."""
        cid = self.slack.channel_id(channel.lstrip("#"))
        return [m for m in self.slack.messages if m.kind == "post" and m.channel == cid]

    def posts(self) -> list[Message]:
        return [m for m in self.slack.messages if m.kind == "post"]


def make_client(running: RunningSandbox, clock: ManualClock, **options: Any) -> IngramClient:
    """A client for the emulator's sandbox customer; fast retries, windows off by default."""
    settings = sandbox_ingram_settings(
        running.url, windows_enforced=options.pop("windows_enforced", False)
    )
    options.setdefault("retry", RetryPolicy(attempts=2, base=0.01, cap=0.02))
    return IngramClient(settings, clock=clock, **options)


@asynccontextmanager
async def open_harness(
    tmp_path: Path,
    *,
    start: datetime = START,
    extra_orders: int = 0,
    client_options: dict[str, Any] | None = None,
    **state_options: Any,
) -> AsyncIterator[Harness]:
    """The emulator (seed data, plus ``extra_orders`` bulk suborders), a client, a store on
    tmp_path/orderbot.db and the Slack stand-in."""
    clock = ManualClock(start)
    orders = build_seed(clock())
    if extra_orders:
        orders += build_bulk(clock(), extra_orders)
    state_options.setdefault("rate_limit", 100_000)
    ingram = await start_sandbox(SandboxState(clock=clock, orders=orders, **state_options))
    slack = SlackStandIn(channels={"general": "C0GENERAL"})
    await slack.start()
    store = await st.AsyncStore.open(tmp_path / "orderbot.db")
    client = make_client(ingram, clock, **(client_options or {}))
    web = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    h = Harness(clock, ingram, client, store, slack, web, tmp_path)
    try:
        yield h
    finally:
        for poller in h.pollers:
            await poller.stop()
        for notifier in h.notifiers:
            await notifier.stop()
        await client.aclose()
        await store.close()
        await slack.stop()
        await ingram.stop()


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(tmp_path) as harness:
        yield harness


async def until(predicate: Callable[[], Any], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait (polling) until ``predicate()`` is true; awaitable predicates are awaited."""
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return
            await asyncio.sleep(0.005)


def sandbox_orders(state: SandboxState, start: datetime, end: datetime) -> list[SeedOrder]:
    """The sandbox customer's orders entered in [start, end] (what a poll should read)."""
    return [
        o
        for o in state.orders
        if o.customernumber == SANDBOX_CUSTOMER
        and o.country == "UK"
        and start <= o.entrytimestamp <= end
    ]


def count_polls(db: Any) -> int:
    return int(db.execute("SELECT count(*) FROM polls").fetchone()[0])


def detailed_suborders(orders: list[SeedOrder]) -> int:
    return sum(len(o.suborders) for o in orders if not o.link_only_in_search)


# --- baseline -------------------------------------------------------------------------------


async def test_baseline_records_everything_and_posts_nothing(h: Harness) -> None:
    poller = h.poller()
    report = await poller.poll_once()

    expected = sandbox_orders(h.state, START - timedelta(days=30), START)
    assert report.ok and report.baseline and report.skipped is None
    assert report.orders == len(expected)
    assert report.suborders == detailed_suborders(expected)
    assert (report.events, report.alerts) == (0, 0)
    assert report.calls == math.ceil(len(expected) / 100)
    assert await h.store.run(st.snapshot_count) == report.suborders
    assert (await h.store.run(st.outbox_stats, h.clock())).pending == 0
    row = await h.store.run(st.last_poll)
    assert row is not None and row.ok and row.baseline and row.id == report.poll_id
    assert row.calls == report.calls and row.suborders == report.suborders

    delivery = await h.notifier().drain(timeout=2)
    assert delivery == type(delivery)(0, 0, 0, 0)
    assert h.posts() == []

    # The second poll of an unchanged account: no baseline, no events, nothing posted.
    h.clock.advance(300)
    again = await poller.poll_once()
    assert again.ok and not again.baseline and again.events == 0 and again.alerts == 0


async def test_link_only_entries_are_skipped_without_extra_calls(h: Harness) -> None:
    # 20-LNK01 is listed by its link alone in date searches (as in the spec's sample).
    report = await h.poller().poll_once()
    assert await h.store.run(st.get_snapshot_row, "20-LNK01-11") is None
    assert await h.store.run(st.get_snapshot_row, "20-RD12H-11") is not None
    assert report.calls == h.state.search_calls == math.ceil(report.orders / 100)


# --- events, rules and channels ----------------------------------------------------------------


async def test_each_event_kind_reaches_its_channel(h: Harness) -> None:
    poller = h.poller(h.rules(ALL_EVENTS_RULES))
    assert (await poller.poll_once()).baseline

    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="C3")  # placed (status stays)
    h.state.set_suborder("20-SH001-11", holdreasoncode="")  # released
    h.state.set_suborder("20-RD12H-11", holdreasoncode="C3")  # changed CH -> C3
    h.state.set_suborder("20-REL01-11", statuscode="I")  # status R -> I
    h.state.add_order(
        SeedOrder("20-NEW01", SANDBOX_CUSTOMER, "UK", h.clock(), "PO-NEW", [sub("20-NEW01-11")])
    )
    report = await poller.poll_once()
    assert report.ok and not report.baseline
    assert report.events == 5 and report.alerts == 5

    events = await h.store.run(st.events_of_poll, report.poll_id)
    assert [(e["event"], e["subordernumber"]) for e in events] == [
        ("suborder_added", "20-NEW01-11"),
        ("hold_changed", "20-RD12H-11"),
        ("hold_placed", "20-RD12H-21"),
        ("status_changed", "20-REL01-11"),
        ("hold_released", "20-SH001-11"),
    ]
    assert events[1]["previous_holdreasoncode"] == "CH" and events[1]["holdreasoncode"] == "C3"
    assert events[2]["customernumber"] == SANDBOX_CUSTOMER and events[2]["country"] == "UK"

    delivery = await h.notifier().drain(timeout=5)
    assert (delivery.delivered, delivery.pending, delivery.dead) == (5, 0, 0)
    expected = {
        "#placed": "20-RD12H-21",
        "#released": "20-SH001-11",
        "#changed": "20-RD12H-11",
        "#status": "20-REL01-11",
        "#added": "20-NEW01-11",
    }
    for channel, suborder in expected.items():
        [message] = h.channel_messages(channel)
        assert suborder in message.all_text, channel
        assert message.thread_ts is None


async def test_a_rules_mentions_reach_slack_and_ingrams_text_mentions_nobody(h: Harness) -> None:
    poller = h.poller(
        h.rules(
            'rules:\n  - name: credit\n    on: hold_placed\n    channel: "#credit-alerts"\n'
            "    mention: [U0CREDIT1, S0CREDITS]\n"
        )
    )
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="C3", holdreason="<!subteam^S0EVIL000>")
    assert (await poller.poll_once()).alerts == 1
    assert (await h.notifier().drain(timeout=5)).delivered == 1
    [message] = h.channel_messages("#credit-alerts")
    assert message.text.startswith("<@U0CREDIT1> <!subteam^S0CREDITS> Hold placed on 20-RD12H-21")
    assert "&lt;!subteam^S0EVIL000&gt;" in message.text


async def test_shipped_rules_with_and_without_matches(h: Harness) -> None:
    poller = h.poller()
    await poller.poll_once()

    h.clock.advance(300)
    h.state.set_suborder("20-RD47K-11", statuscode="C", holdreasoncode="C4")  # credit hold
    h.state.set_suborder("20-RD47K-21", statuscode="S", holdreasoncode="SH")  # sales hold
    h.state.set_suborder("20-SH001-11", statuscode="", holdreasoncode="")  # released
    h.state.set_suborder("20-RD12H-11", holdreasoncode="C3")  # hold_changed: no rule
    h.state.set_suborder("20-REL01-21", statuscode="O", holdreasoncode="IM")  # no rule matches
    report = await poller.poll_once()
    # RD47K-11: placed + status; RD47K-21: placed + status; SH001: released + status;
    # RD12H-11: changed; REL01-21: placed + status.
    assert report.events == 9
    # credit-holds, sales-holds, sales-hold-status (RD47K-21 -> S), releases.
    assert report.alerts == 4

    await h.notifier().drain(timeout=5)
    [credit] = h.channel_messages("#credit-alerts")
    assert "Credit hold on 20-RD47K-11" in credit.text and "C4" in credit.text
    sales = h.channel_messages("#sales-alerts")
    assert [m.text.split(" ")[0] for m in sales] == ["Sales", "20-RD47K-21"]
    # Both alerts are about order 20-RD47K: the second is in the first one's thread.
    assert sales[0].thread_ts is None and sales[1].thread_ts == sales[0].ts
    [released] = h.channel_messages("#order-alerts")
    assert "Hold released on 20-SH001-11" in released.text
    assert len(h.posts()) == 4
    assert all("20-REL01" not in m.all_text and "20-RD12H" not in m.all_text for m in h.posts())


async def test_more_than_five_changes_become_one_digest(h: Harness) -> None:
    poller = h.poller()
    await poller.poll_once()
    h.clock.advance(300)
    open_subs = [
        s.subordernumber
        for o in sandbox_orders(h.state, START - timedelta(days=30), START)
        if not o.link_only_in_search
        for s in o.suborders
        if s.statuscode in ("", "R") and not s.holdreasoncode
    ][:7]
    assert len(open_subs) == 7
    for number in open_subs:
        h.state.set_suborder(number, holdreasoncode="C3")
    report = await poller.poll_once()
    assert report.alerts == 1  # one digest for credit-holds in #credit-alerts

    outbox = await h.store.run(st.due_outbox, h.clock())
    assert [r.kind for r in outbox] == ["digest"]
    await h.notifier().drain(timeout=5)
    [digest] = h.channel_messages("#credit-alerts")
    assert "7 changes" in digest.all_text
    assert all(number in digest.all_text for number in open_subs)

    # The digest stays one message; its orders get cards when they next change.
    first_order = open_subs[0].rsplit("-", 1)[0]
    assert await h.store.run(st.get_card, "#credit-alerts", first_order) is None
    h.clock.advance(300)
    h.state.set_suborder(open_subs[0], holdreasoncode="")
    h.state.set_suborder(open_subs[0], holdreasoncode="C4")
    await poller.poll_once()  # C3 -> C4 is hold_changed: no shipped rule
    h.state.set_suborder(open_subs[0], holdreasoncode="")
    h.clock.advance(300)
    await poller.poll_once()  # released -> #order-alerts, a different channel: own thread
    h.state.set_suborder(open_subs[0], holdreasoncode="C5")
    h.clock.advance(300)
    await poller.poll_once()  # placed again -> #credit-alerts: the order's card
    await h.notifier().drain(timeout=5)
    follow = h.channel_messages("#credit-alerts")[-1]
    assert follow is not digest and follow.thread_ts is None
    card = await h.store.run(st.get_card, "#credit-alerts", first_order)
    assert card is not None and card.ts == follow.ts
    assert "Order " + first_order in follow.all_text
    assert h.channel_messages("#order-alerts")[-1].thread_ts is None


async def test_second_alert_on_an_order_goes_into_the_first_ones_thread(h: Harness) -> None:
    poller = h.poller()
    notifier = h.notifier()
    await poller.poll_once()

    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    await notifier.drain(timeout=5)
    [first] = h.channel_messages("#credit-alerts")
    assert first.thread_ts is None and "20-RD12H-21" in first.text

    h.clock.advance(300)
    h.state.set_suborder("20-MX14B-11", statuscode="C", holdreasoncode="C8")  # another order
    h.state.set_suborder("20-RD12H-21", holdreasoncode="")
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="PC")
    await poller.poll_once()
    await notifier.drain(timeout=5)
    messages = h.channel_messages("#credit-alerts")
    assert len(messages) == 3
    other, again = messages[1], messages[2]
    assert "20-MX14B-11" in other.text and other.thread_ts is None
    assert "20-RD12H-21" in again.text and again.thread_ts == first.ts


# --- calls and priorities -------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 1, 1500])
async def test_a_poll_costs_exactly_ceil_n_over_100_calls(tmp_path: Path, extra: int) -> None:
    async with open_harness(tmp_path, extra_orders=extra) as h:
        n = len(sandbox_orders(h.state, START - timedelta(days=30), START))
        poller = h.poller()
        for _ in range(2):
            before = h.state.search_calls
            report = await poller.poll_once()
            assert report.ok
            assert report.orders == n
            assert report.calls == math.ceil(n / 100) == h.state.search_calls - before
            h.clock.advance(300)
        pages = {r.query.get("pagesize") for r in h.state.requests if "search" in r.path}
        assert pages == {"100"}


async def test_an_interactive_lookup_is_not_starved_by_a_poll(tmp_path: Path) -> None:
    async with open_harness(tmp_path, extra_orders=1600, latency=0.2) as h:
        n = len(sandbox_orders(h.state, START - timedelta(days=30), START))
        assert math.ceil(n / 100) >= 6
        poller = h.poller()
        polling = asyncio.create_task(poller.poll_once())
        await until(lambda: h.state.search_calls >= 2)
        began = time.perf_counter()
        order = await h.client.find_order("20-RD12H", priority=Priority.INTERACTIVE)
        took = time.perf_counter() - began
        assert order is not None and order.ordernumber == "20-RD12H"
        assert not polling.done()  # the lookup did not wait for the poll
        assert took < 0.5, f"the lookup took {took:.2f} s during a poll"
        report = await polling
        assert report.ok and report.orders == n


async def test_background_calls_yield_to_interactive_ones_on_a_tight_budget(
    tmp_path: Path,
) -> None:
    # A budget of 5 calls a second, and the poll would like more: a lookup still waits for
    # at most about one call.
    from bot.ingram.ratelimit import RateLimiter

    limiter = RateLimiter(5, 1.0)
    async with open_harness(
        tmp_path, extra_orders=1600, latency=0.05, client_options={"limiter": limiter}
    ) as h:
        poller = h.poller()
        polling = asyncio.create_task(poller.poll_once())
        await until(lambda: h.state.search_calls >= 4)
        began = time.perf_counter()
        await h.client.find_order("20-SH001")
        took = time.perf_counter() - began
        assert not polling.done()
        assert took < 0.5, f"the lookup took {took:.2f} s during a poll"
        assert (await polling).ok


# --- failures ------------------------------------------------------------------------------


async def test_a_failed_poll_records_the_error_and_loses_nothing(h: Harness) -> None:
    poller = h.poller()
    await poller.poll_once()
    before = await h.store.run(st.load_snapshot)

    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    h.state.faults.add(Fault(status=503, times=0))  # every API call, until cleared
    report = await poller.poll_once()
    assert not report.ok and report.skipped is None
    assert report.error and "503" in report.error
    assert report.calls == 2  # two attempts (the test's retry policy), then it gave up
    row = await h.store.run(st.last_poll)
    assert row is not None and not row.ok and row.error == report.error
    assert row.calls == 2 and row.id == report.poll_id
    assert await h.store.run(st.load_snapshot) == before
    assert (await h.store.run(st.outbox_stats, h.clock())).pending == 0
    assert poller.last_report is report

    h.state.faults.clear()
    h.clock.advance(300)
    again = await poller.poll_once()
    assert again.ok and again.events == 2 and again.alerts == 1  # placed + status; 1 rule
    await h.notifier().drain(timeout=5)
    [alert] = h.channel_messages("#credit-alerts")
    assert "20-RD12H-21" in alert.text


async def test_a_fault_midway_through_the_pages_writes_nothing(tmp_path: Path) -> None:
    async with open_harness(tmp_path, extra_orders=1500) as h:
        poller = h.poller()
        await poller.poll_once()
        polls_before = await h.store.run(count_polls)
        h.clock.advance(300)
        h.state.set_suborder("20-RD12H-21", holdreasoncode="C3")
        # Page 1 answers, then everything fails.
        h.state.faults.add(Fault(status=200, times=1))
        h.state.faults.add(Fault(status=500, times=0))
        report = await poller.poll_once()
        assert not report.ok and report.calls == 3
        polls = await h.store.run(count_polls)
        assert polls == polls_before + 1
        assert (await h.store.run(st.get_snapshot_row, "20-RD12H-21")).holdreasoncode == ""
        h.state.faults.clear()
        assert (await poller.poll_once()).alerts == 1


@pytest.mark.parametrize("short", [0, 30], ids=["empty-page", "short-page"])
async def test_a_short_read_fails_the_poll_and_diffs_nothing(tmp_path: Path, short: int) -> None:
    """Ingram reported N orders, the pages held fewer: saving that snapshot would turn the
    missing shipments into false "new shipment" and "hold placed" alerts later."""
    async with open_harness(tmp_path, extra_orders=1500) as h:
        poller = h.poller(h.rules(ALL_EVENTS_RULES))
        await poller.poll_once()
        before = await h.store.run(st.load_snapshot)
        h.clock.advance(300)
        h.state.set_suborder("20-RD12H-21", holdreasoncode="C3")
        h.state.faults.add(Fault(status=200, times=1))  # page 1 answers in full...
        h.state.faults.add(Fault(short=short, times=1))  # ...page 2 comes up short
        report = await poller.poll_once()
        assert not report.ok and report.error and "incomplete" in report.error
        assert report.events == report.alerts == 0
        assert await h.store.run(st.load_snapshot) == before
        assert (await h.store.run(st.outbox_stats, h.clock())).pending == 0
        h.clock.advance(300)
        again = await poller.poll_once()  # a whole read: exactly the one real change
        assert again.ok and again.events == 1 and again.alerts == 1


async def test_the_window_skip_is_logged_once_per_closed_period(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    saturday = datetime(2024, 3, 9, 12, 0, tzinfo=UTC)
    async with open_harness(
        tmp_path, start=saturday, client_options={"windows_enforced": True}
    ) as h:
        poller = h.poller()
        caplog.set_level(logging.INFO, logger="orderbot.poller")
        reports = []
        for _ in range(3):
            reports.append(await poller.poll_once())
            h.clock.advance(300)
        assert all(r.skipped and r.skipped.startswith("outside window") for r in reports)
        assert all(r.ok and r.calls == 0 for r in reports)
        assert "2024-03-11T06:00:00+00:00" in reports[0].skipped  # Monday 06:00 London
        assert h.state.search_calls == 0 and h.state.token_requests == 0
        assert await h.store.run(st.last_poll) is None
        closed = [r for r in caplog.records if "is closed" in r.getMessage()]
        assert len(closed) == 1 and "ORDERBOT_IGNORE_WINDOWS" in closed[0].getMessage()

        h.clock.set(datetime(2024, 3, 11, 9, 0, tzinfo=UTC))  # Monday morning
        for _ in range(2):
            assert (await poller.poll_once()).ok
            h.clock.advance(300)
        opened = [r for r in caplog.records if "open again" in r.getMessage()]
        assert len(opened) == 1

        h.clock.set(datetime(2024, 3, 16, 9, 0, tzinfo=UTC))  # the next Saturday
        assert (await poller.poll_once()).skipped
        assert len([r for r in caplog.records if "is closed" in r.getMessage()]) == 2

        # ORDERBOT_IGNORE_WINDOWS=1: the client does not enforce windows, nor does the poller.
        h.client.windows_enforced = False
        report = await poller.poll_once()
        assert report.ok and report.skipped is None


# --- the background task ------------------------------------------------------------------------


async def test_start_polls_at_once_and_then_every_interval(h: Harness) -> None:
    poller = h.poller(interval=0.15)
    assert not poller.running
    poller.start()
    assert poller.running
    await until(lambda: h.store.run(st.last_poll))
    first = await h.store.run(st.last_poll)
    assert first is not None and first.baseline
    h.clock.advance(300)
    await until(lambda: poller.last_report and poller.last_report.poll_id != first.id)
    await poller.stop()
    assert not poller.running
    assert poller.last_report is not None and poller.last_report.ok


async def test_on_alerts_is_called_only_when_alerts_were_written(h: Harness) -> None:
    calls: list[int] = []
    poller = h.poller(on_alerts=lambda: calls.append(1))
    await poller.poll_once()
    h.clock.advance(300)
    await poller.poll_once()
    assert calls == []
    h.state.set_suborder("20-RD12H-21", holdreasoncode="CL")
    h.clock.advance(300)
    await poller.poll_once()
    assert calls == [1]


async def test_stop_while_a_slow_poll_reads_pages_writes_nothing(tmp_path: Path) -> None:
    async with open_harness(tmp_path, extra_orders=1500, latency=0.05) as h:
        poller = h.poller(interval=60)
        poller.start()
        await until(lambda: h.state.search_calls >= 3)
        await poller.stop()
        assert not poller.running
        assert await h.store.run(st.last_poll) is None
        assert await h.store.run(st.snapshot_count) == 0
        # The next poll starts from scratch: a full baseline.
        report = await h.poller().poll_once()
        assert report.ok and report.baseline
        assert await h.store.run(st.snapshot_count) == report.suborders


async def test_stop_while_a_poll_writes_leaves_all_of_it_or_none(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await h.poller().poll_once()
    h.clock.advance(300)
    for number in ("20-RD12H-21", "20-REL01-11", "20-MX14B-21"):
        h.state.set_suborder(number, holdreasoncode="C3")

    writing = threading.Event()

    def slow_save_poll(db: Any, **kwargs: Any) -> int:
        writing.set()
        time.sleep(0.2)  # on the store's thread, not the event loop
        return st.save_poll(db, **kwargs)

    monkeypatch.setattr("bot.watch.poller.save_poll", slow_save_poll)
    poller = h.poller(interval=60)
    poller.start()
    await until(writing.is_set)
    await poller.stop()  # the poll is abandoned while SQLite writes its one transaction
    assert not poller.running

    # The write was under way: it lands whole (snapshot, events, outbox and polls row).
    last = await h.store.run(st.last_poll)
    assert last is not None and last.ok and last.events == 3 and last.alerts == 3
    assert len(await h.store.run(st.events_of_poll, last.id)) == 3
    assert (await h.store.run(st.outbox_stats, h.clock())).pending == 3
    assert (await h.store.run(st.get_snapshot_row, "20-RD12H-21")).holdreasoncode == "C3"

    # And the next poll, of this poller or a new one, finds nothing new.
    monkeypatch.undo()
    h.clock.advance(300)
    for again in (poller, h.poller()):
        report = await again.poll_once()
        assert report.ok and report.events == 0
    assert (await h.store.run(st.outbox_stats, h.clock())).pending == 3


async def test_a_poll_by_another_process_is_not_reported_twice(h: Harness) -> None:
    ours = h.poller()
    await ours.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", holdreasoncode="C3")
    # ``orderbot poll --once`` in another process (same file, its own store and poller).
    other_store = await st.AsyncStore.open(h.store.path)
    try:
        theirs = h.poller(store=other_store)
        assert (await theirs.poll_once()).alerts == 1
    finally:
        await other_store.close()
    h.clock.advance(300)
    report = await ours.poll_once()  # it reads the snapshot the other process left
    assert report.ok and report.events == 0 and report.alerts == 0


async def test_orders_that_leave_the_lookback_window_are_pruned(h: Harness) -> None:
    # A short lookback, and days passing: orders leave the window and are pruned.
    poller = h.poller(lookback_days=10)
    counts = []
    for day in range(4):
        number = ("20-RD12H-21", "20-REL01-11", "20-MX14B-21", "20-SH001-11")[day]
        h.state.set_suborder(number, holdreasoncode=("C3", "SH", "", "IM")[day])
        report = await poller.poll_once()
        assert report.ok
        counts.append(await h.store.run(st.snapshot_count))
        assert counts[-1] == report.suborders
        h.clock.advance(days=3)
    assert counts == sorted(counts, reverse=True) and counts[-1] < counts[0]
    # Entries older than the lookback are pruned (those the last poll did not read).
    assert all(
        row.entrytimestamp >= (h.clock() - timedelta(days=3 + 10)).isoformat()
        for row in (await h.store.run(st.load_snapshot)).values()
    )
