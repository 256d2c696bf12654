"""The notifier over real loopback: the outbox in a SQLite file, posted to the Slack stand-in
through slack_sdk's AsyncWebClient. Slack errors, outages, crashes and pacing."""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot import store as st
from bot.clock import utc_now
from bot.watch.alerts import ALERT, DIGEST, NewAlert
from bot.watch.notifier import DeliveryReport, Notifier
from tests.watch.test_poller import Harness, open_harness


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(tmp_path) as harness:
        yield harness


def alert(channel: str, order: str, text: str, rule: str = "r") -> NewAlert:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    return NewAlert(rule, channel, ALERT, [order], text, blocks)


def digest(channel: str, orders: list[str], text: str, rule: str = "r") -> NewAlert:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    return NewAlert(rule, channel, DIGEST, orders, text, blocks)


async def queue(store: st.AsyncStore, now: datetime, *alerts: NewAlert) -> int:
    """Put alerts in the outbox as a poll would (in one transaction with a polls row)."""
    return await store.run(
        st.save_poll,
        started_at=now,
        finished_at=now,
        calls=0,
        orders=0,
        current=[],
        events=[],
        alerts=list(alerts),
        prune_before=None,
        baseline=False,
        now=now,
    )


def outbox(db: object) -> list[st.OutboxRow]:
    return [st.get_outbox(db, i) for (i,) in db.execute("SELECT id FROM outbox ORDER BY id")]


# --- the basics ------------------------------------------------------------------------------


async def test_slack_sdk_retries_are_off_for_the_notifier_only(h: Harness) -> None:
    original = AsyncWebClient(token="xoxb-test", base_url=h.slack.api_url)
    handlers = list(original.retry_handlers)
    assert handlers  # slack_sdk retries dropped connections by default
    notifier = Notifier(h.store, original)
    assert notifier.slack.retry_handlers == []
    assert original.retry_handlers == handlers  # the caller's client is untouched
    assert notifier.slack.base_url == original.base_url and notifier.slack.token == "xoxb-test"


async def test_delivers_in_outbox_order_and_marks_delivered(h: Harness) -> None:
    texts = [f"message {i}" for i in range(4)]
    await queue(h.store, h.clock(), *(alert("#orders", f"20-A{i}", t) for i, t in enumerate(texts)))
    report = await h.notifier().deliver_due()
    assert report == DeliveryReport(delivered=4, retried=0, dead=0, pending=0)
    assert [m.text for m in h.channel_messages("#orders")] == texts
    rows = await h.store.run(outbox)
    assert {r.status for r in rows} == {"delivered"}
    assert all(r.slack_channel == h.slack.channel_id("orders") and r.slack_ts for r in rows)
    # Nothing is posted twice.
    assert await h.notifier().deliver_due() == DeliveryReport(0, 0, 0, 0)
    assert len(h.posts()) == 4


async def test_posts_are_paced_per_channel_and_channels_interleave(h: Harness) -> None:
    await queue(
        h.store,
        h.clock(),
        *(alert("#a", f"20-A{i}", f"a{i}") for i in range(3)),
        *(alert("#b", f"20-B{i}", f"b{i}") for i in range(3)),
    )
    arrived: dict[str, float] = {}
    h.slack.on_message.append(lambda m: arrived.setdefault(m.text, time.perf_counter()))
    await h.notifier(per_channel_interval=0.3).drain(timeout=10)
    # Pacing: a channel's posts are at least the interval apart (a busy machine only makes
    # the gaps longer, never shorter).
    for channel in ("a", "b"):
        times = [arrived[f"{channel}{i}"] for i in range(3)]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(gap >= 0.25 for gap in gaps), (channel, gaps)
    # The channels go in parallel: each one's first post comes before the other's second,
    # which one channel after the other could not do. The order of arrival says so, not a
    # total time that a loaded machine stretches.
    assert arrived["b0"] < arrived["a1"] and arrived["a0"] < arrived["b1"]


async def test_background_loop_posts_when_woken_and_stop_ends_it(h: Harness) -> None:
    notifier = h.notifier(idle_interval=30)
    notifier.start()
    assert notifier.running
    await queue(h.store, h.clock(), alert("#orders", "20-W1", "wake up"))
    began = time.perf_counter()
    notifier.wake()
    await h.slack.wait_messages(1, timeout=2)
    assert time.perf_counter() - began < 1  # not the 30 s idle interval
    await notifier.stop()
    assert not notifier.running


async def test_poller_wakes_the_notifier(h: Harness) -> None:
    notifier = h.notifier(idle_interval=30)
    notifier.start()
    poller = h.poller(on_alerts=notifier.wake)
    await poller.poll_once()
    h.clock.advance(300)
    h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    await poller.poll_once()
    message = await h.slack.wait_for(lambda m: "20-RD12H-21" in m.text, timeout=2)
    assert message.channel == h.slack.channel_id("credit-alerts")


# --- threads ---------------------------------------------------------------------------------


async def test_follow_ups_go_into_the_thread_of_the_first_alert(h: Harness) -> None:
    await queue(
        h.store,
        h.clock(),
        alert("#orders", "20-T1", "first about T1"),
        alert("#orders", "20-T2", "about T2"),
        alert("#orders", "20-T1", "second about T1"),
        alert("#other", "20-T1", "T1 elsewhere"),
    )
    await h.notifier().drain(timeout=5)
    first, t2, second = h.channel_messages("#orders")
    assert first.thread_ts is None and t2.thread_ts is None
    assert second.thread_ts == first.ts and second.channel == first.channel
    [elsewhere] = h.channel_messages("#other")
    assert elsewhere.thread_ts is None  # threads are per channel
    assert await h.store.run(st.get_thread, "#orders", "20-T1") == (first.channel, first.ts)


async def test_a_digest_stays_one_message_and_its_orders_get_cards_when_they_next_change(
    h: Harness,
) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-D1", "D1 alone"))
    await h.notifier().drain(timeout=5)
    await queue(
        h.store,
        h.clock(),
        digest("#orders", ["20-D1", "20-D2", "20-D3"], "digest of D1 D2 D3"),
        alert("#orders", "20-D2", "D2 later"),
        alert("#orders", "20-D1", "D1 later"),
    )
    await h.notifier().drain(timeout=5)
    d1, dig, d2_later, d1_later = h.channel_messages("#orders")
    assert dig.thread_ts is None  # a digest is always a top-level message
    # D2 had no card: its next alert posts one (top level); D1's goes in its card's thread.
    assert d2_later.thread_ts is None and d1_later.thread_ts == d1.ts
    cards = {
        c.ordernumber: c.ts for n in ("20-D1", "20-D2") for c in await h.store.run(st.cards_of, n)
    }
    assert cards == {"20-D1": d1.ts, "20-D2": d2_later.ts}


# --- Slack errors -------------------------------------------------------------------------------


async def test_a_429_is_honoured_and_the_message_delivered_once(h: Harness) -> None:
    await queue(
        h.store,
        h.clock(),
        alert("#orders", "20-R1", "first"),
        alert("#orders", "20-R1", "follow-up"),
    )
    h.slack.fail("chat.postMessage", status=429, retry_after=3, times=1)
    notifier = h.notifier()

    report = await notifier.deliver_due()
    assert report == DeliveryReport(delivered=0, retried=1, dead=0, pending=2)
    limited, behind = await h.store.run(outbox)
    assert limited.text == "first" and "ratelimited" in (limited.last_error or "")
    assert limited.next_attempt_at == h.clock() + timedelta(seconds=3)  # Retry-After
    assert behind.attempts == 0  # the follow-up waits behind it: order is kept

    # The 429 holds back that channel only.
    await queue(h.store, h.clock(), alert("#other", "20-R2", "elsewhere"))
    report = await notifier.deliver_due()
    assert (report.delivered, report.retried, report.pending) == (1, 0, 2)

    h.clock.advance(2.9)
    assert (await notifier.deliver_due()).delivered == 0  # not before Retry-After
    h.clock.advance(0.1)
    report = await notifier.deliver_due()
    assert report == DeliveryReport(delivered=2, retried=0, dead=0, pending=0)

    first, follow = h.channel_messages("#orders")
    assert (first.text, follow.text) == ("first", "follow-up")
    assert follow.thread_ts == first.ts
    calls = h.slack.calls_to("chat.postMessage")
    assert [c.status for c in calls].count(429) == 1
    assert Counter(m.text for m in h.posts()) == {"first": 1, "follow-up": 1, "elsewhere": 1}


async def test_a_429_without_slack_sdk_hiding_it(h: Harness) -> None:
    # A client given to the notifier with a rate-limit retry handler: the notifier still
    # sees the 429 itself (and paces), it does not sleep inside slack_sdk.
    web = AsyncWebClient(
        token="xoxb-test",
        base_url=h.slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)],
    )
    notifier = Notifier(h.store, web, clock=h.clock, per_channel_interval=0.01)
    await queue(h.store, h.clock(), alert("#orders", "20-R1", "one"))
    h.slack.fail("chat.postMessage", status=429, retry_after=30, times=1)
    began = time.perf_counter()
    report = await notifier.deliver_due()
    assert time.perf_counter() - began < 1
    assert (report.delivered, report.retried) == (0, 1)


async def test_slack_down_for_a_whole_poll_then_back(h: Harness) -> None:
    poller = h.poller()
    notifier = h.notifier(backoff_base=1.0, backoff_cap=4.0)
    await poller.poll_once()
    h.clock.advance(300)
    changed = ["20-RD12H-21", "20-REL01-11", "20-MX14B-21", "20-SH001-11"]
    for number in changed[:3]:
        h.state.set_suborder(number, statuscode="C", holdreasoncode="C3")
    h.state.set_suborder("20-SH001-11", statuscode="", holdreasoncode="")
    h.slack.down = True
    report = await poller.poll_once()
    assert report.alerts == 4  # three credit holds, one release

    first = await notifier.deliver_due()
    # One attempt per channel (the head of each), then the channel waits.
    assert (first.delivered, first.retried, first.pending) == (0, 2, 4)
    rows = await h.store.run(outbox)
    tried = [r for r in rows if r.attempts]
    assert {r.channel for r in tried} == {"#credit-alerts", "#order-alerts"}
    assert all(r.next_attempt_at == h.clock() + timedelta(seconds=1) for r in tried)

    for backoff in (1, 2, 4, 4):  # doubling, capped at 4 s
        h.clock.advance(backoff)
        again = await notifier.deliver_due()
        assert (again.delivered, again.retried) == (0, 2)
        rows = await h.store.run(outbox)
        head = next(r for r in rows if r.channel == "#order-alerts")
        assert head.next_attempt_at == h.clock() + timedelta(seconds=min(4, 2 * backoff))

    h.slack.down = False
    h.clock.advance(4)
    done = await notifier.drain(timeout=5)
    assert (done.delivered, done.pending, done.dead) == (4, 0, 0)
    texts = [m.text for m in h.posts()]
    assert len(texts) == len(set(texts)) == 4
    for number in changed:
        assert sum(number in t for t in texts) == 1
    assert {r.status for r in await h.store.run(outbox)} == {"delivered"}


async def test_network_errors_back_off_and_nothing_is_lost(h: Harness) -> None:
    await queue(
        h.store, h.clock(), alert("#orders", "20-N1", "one"), alert("#orders", "20-N2", "two")
    )
    await h.slack.stop()  # connection refused
    notifier = h.notifier(backoff_base=0.5, backoff_cap=60)
    report = await notifier.deliver_due()
    assert (report.delivered, report.retried, report.pending) == (0, 1, 2)
    [row, waiting] = await h.store.run(outbox)
    assert row.attempts == 1 and row.last_error and "connect" in row.last_error
    assert row.next_attempt_at == h.clock() + timedelta(seconds=0.5)
    assert waiting.attempts == 0  # queued behind it, not tried

    await h.slack.start()  # back on the same port
    h.clock.advance(0.5)
    assert (await notifier.drain(timeout=5)).delivered == 2
    assert [m.text for m in h.posts()] == ["one", "two"]


async def test_permanent_errors_become_dead_letters_logged_once(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h.slack.missing_channels.add("gone")
    h.slack.not_in_channels.add("private")
    await queue(
        h.store,
        h.clock(),
        alert("#gone", "20-P1", "g1", rule="to-gone"),
        alert("#private", "20-P2", "p1", rule="to-private"),
        alert("#gone", "20-P3", "g2", rule="to-gone"),
        alert("#private", "20-P4", "p2", rule="to-private"),
        alert("#orders", "20-P5", "fine"),
    )
    caplog.set_level(logging.DEBUG, logger="orderbot.notifier")
    report = await h.notifier().drain(timeout=5)
    assert report == DeliveryReport(delivered=1, retried=0, dead=4, pending=0)
    assert [m.text for m in h.posts()] == ["fine"]

    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 2
    gone, private = sorted((r.getMessage() for r in errors), key=lambda m: "#private" in m)
    assert "#gone" in gone and "channel_not_found" in gone and "to-gone" in gone
    assert "#private" in private and "not_in_channel" in private and "to-private" in private
    assert "/invite @orderbot" in private
    assert all("xoxb-test" not in r.getMessage() for r in caplog.records)

    dead = await h.store.run(st.dead_letters)
    assert sorted(r.text for r in dead) == ["g1", "g2", "p1", "p2"]
    assert {r.last_error for r in dead} == {"channel_not_found", "not_in_channel"}
    stats = await h.store.run(st.outbox_stats, h.clock())
    assert (stats.pending, stats.dead) == (0, 4)

    # The same problem again later: this notifier does not log it again, and nothing already
    # dead is retried.
    caplog.clear()
    notifier = h.notifiers[-1]
    await queue(h.store, h.clock(), alert("#gone", "20-P6", "g3", rule="to-gone"))
    assert (await notifier.deliver_due()).dead == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_invalid_auth_is_permanent_and_logged_once_for_all_channels(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_harness(tmp_path) as h:
        bad = AsyncWebClient(token="xoxb-wrong", base_url=h.slack.api_url)
        notifier = Notifier(h.store, bad, clock=h.clock, per_channel_interval=0.01)
        await queue(h.store, h.clock(), alert("#a", "20-X1", "a"), alert("#b", "20-X2", "b"))
        caplog.set_level(logging.INFO, logger="orderbot.notifier")
        report = await notifier.drain(timeout=5)
        assert (report.dead, report.pending) == (2, 0)
        [logged] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert "invalid_auth" in logged.getMessage() and "SLACK_BOT_TOKEN" in logged.getMessage()
        assert "xoxb-wrong" not in logged.getMessage()


async def test_server_errors_are_retried_not_dead(h: Harness) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-S1", "five hundred"))
    h.slack.fail("chat.postMessage", status=500, times=2)
    notifier = h.notifier(clock=utc_now, backoff_base=0.01, backoff_cap=0.05)
    report = await notifier.drain(timeout=5)
    assert (report.delivered, report.retried, report.dead) == (1, 2, 0)
    assert [m.text for m in h.posts()] == ["five hundred"]


# --- crashes ---------------------------------------------------------------------------------


async def test_killed_between_poll_and_delivery_delivers_once_after_restart(
    tmp_path: Path,
) -> None:
    async with open_harness(tmp_path) as h:
        poller = h.poller()
        await poller.poll_once()
        h.clock.advance(300)
        for number in ("20-RD12H-21", "20-REL01-11"):
            h.state.set_suborder(number, statuscode="C", holdreasoncode="C4")
        assert (await poller.poll_once()).alerts == 2
        path = h.store.path
        await h.store.close()  # "killed": the poll's outbox rows are on disk, never posted
        assert h.posts() == []

        for _ in range(2):  # restart twice: the second start has nothing left to do
            store = await st.AsyncStore.open(path)
            try:
                notifier = Notifier(store, h.web, clock=h.clock, per_channel_interval=0.01)
                await notifier.drain(timeout=5)
            finally:
                await store.close()
        texts = [m.text for m in h.posts()]
        assert len(texts) == 2
        assert any("20-RD12H-21" in t for t in texts) and any("20-REL01-11" in t for t in texts)


async def test_stop_finishes_the_post_in_flight(tmp_path: Path) -> None:
    async with open_harness(tmp_path) as h:
        await queue(h.store, h.clock(), *(alert("#slow", f"20-F{i}", f"f{i}") for i in range(5)))
        notifier = h.notifier(per_channel_interval=0.05)
        notifier.start()
        await h.slack.wait_messages(2, timeout=2)
        await notifier.stop()
        posted = len(h.posts())
        rows = await h.store.run(outbox)
        delivered = [r for r in rows if r.status == "delivered"]
        # Every post Slack took is recorded as delivered; the rest wait in the outbox.
        assert len(delivered) == posted and 2 <= posted < 5
        assert all(r.status == "pending" and r.attempts == 0 for r in rows[posted:])

        notifier2 = h.notifier()
        assert (await notifier2.drain(timeout=5)).delivered == 5 - posted
        assert [m.text for m in h.posts()] == [f"f{i}" for i in range(5)]


async def test_drain_gives_up_at_its_timeout_and_keeps_the_rest(h: Harness) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-Z1", "later"))
    h.slack.down = True
    notifier = h.notifier(backoff_base=60)
    began = time.perf_counter()
    report = await notifier.drain(timeout=0.5)
    # The retry is due in 60 s, after the timeout: drain returns at once.
    assert time.perf_counter() - began < 0.5
    assert (report.delivered, report.retried, report.pending) == (0, 1, 1)


async def test_drain_waits_for_a_short_retry(tmp_path: Path) -> None:
    # With a real clock: a 429 with Retry-After 1 s is waited for within drain's timeout.
    async with open_harness(tmp_path) as h:
        notifier = Notifier(h.store, h.web, per_channel_interval=0.01)
        await queue(h.store, h.clock() - timedelta(days=1), alert("#orders", "20-Q1", "q"))
        h.slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
        began = time.perf_counter()
        report = await notifier.drain(timeout=5)
        took = time.perf_counter() - began
        assert (report.delivered, report.retried, report.pending) == (1, 1, 0)
        assert 0.9 <= took < 2.0
