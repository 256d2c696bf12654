"""Exactly once, over real loopback: every post names its outbox row in its metadata; a post
that may have reached Slack unseen (a dropped connection, a hang past the timeout, an answer
that is not Slack's JSON, a crash after the post) is looked for in the channel before it is
posted again; a commit that fails never repeats a post; channels do not wait for each other;
retry times do not follow wall-clock steps."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from bot import store as st
from bot.clock import utc_now
from bot.watch.notifier import Notifier
from bot.watch.readback import EVENT_TYPE
from tests.watch.test_notifier import alert, outbox, queue
from tests.watch.test_poller import Harness, open_harness, until


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_harness(tmp_path) as harness:
        yield harness


def fast(h: Harness, **options: object) -> Notifier:
    """A notifier on the real clock with quick retries (faults are over in milliseconds)."""
    options.setdefault("post_timeout", 0.5)
    return h.notifier(clock=utc_now, backoff_base=0.02, backoff_cap=0.1, **options)


def texts(h: Harness, text: str) -> int:
    """How many messages with ``text`` Slack shows."""
    return sum(1 for m in h.posts() if m.text == text)


def readbacks(h: Harness) -> int:
    return len(h.slack.calls_to("conversations.history")) + len(
        h.slack.calls_to("conversations.replies")
    )


async def warm(h: Harness, channel: str = "#orders") -> None:
    """One alert delivered to ``channel``, so that orderbot knows the channel's Slack ID."""
    await queue(h.store, h.clock(), alert(channel, "20-W0", "warm-up"))
    assert (await fast(h).drain(timeout=5)).delivered == 1


async def test_every_post_names_its_outbox_row_and_nothing_is_read_back(h: Harness) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-M1", "one"), alert("#b", "20-M2", "two"))
    assert (await h.notifier().drain(timeout=5)).delivered == 2
    database = await h.store.run(st.get_meta, "database_id")
    rows = {r.text: r for r in await h.store.run(outbox)}
    for message in h.posts():
        assert message.metadata == {
            "event_type": EVENT_TYPE,
            "event_payload": {
                "outbox_id": rows[message.text].id,
                "database": database,
                "kind": "alert",
                "rule": "r",
            },
        }
    assert readbacks(h) == 0  # no read-back in normal operation


@pytest.mark.parametrize(
    ("mode", "record"),
    [
        ("drop", True),
        ("drop", False),
        ("hang", True),
        ("html", True),
        ("html", False),
        ("empty", False),
        ("truncated", True),
    ],
)
async def test_a_post_without_slacks_answer_is_looked_for_then_posted_once(
    h: Harness, mode: str, record: bool
) -> None:
    await warm(h)
    await queue(h.store, h.clock(), alert("#orders", "20-D1", "in doubt"))
    h.slack.fail("chat.postMessage", mode=mode, record=record, hang=5)
    report = await fast(h).drain(timeout=5)
    assert (report.delivered, report.dead, report.pending) == (1, 0, 0)
    assert texts(h, "in doubt") == 1
    assert readbacks(h) == 1  # one history call for the one uncertain row
    row = next(r for r in await h.store.run(outbox) if r.text == "in doubt")
    message = next(m for m in h.posts() if m.text == "in doubt")
    assert (row.status, row.slack_ts, row.uncertain_since) == ("delivered", message.ts, None)


async def test_a_crash_after_the_post_is_found_at_restart(h: Harness) -> None:
    await warm(h)
    await queue(h.store, h.clock(), alert("#orders", "20-C1", "posted, then killed"))
    (row,) = [r for r in await h.store.run(outbox) if r.status == "pending"]
    # What the killed process did: the sending mark, then the post (with its metadata).
    await h.store.write(
        st.begin_attempt, row.id, at=utc_now(), target_channel="#orders", target_thread_ts=None
    )
    database = await h.store.run(st.get_meta, "database_id")
    meta = {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": row.id, "database": database}}
    await h.web.chat_postMessage(channel="#orders", text=row.text, metadata=meta)

    restarted = fast(h)
    assert (await restarted.drain(timeout=5)).delivered == 1
    assert texts(h, "posted, then killed") == 1
    assert readbacks(h) == 1 and restarted.readback.found == 1
    assert (await h.store.run(st.get_outbox, row.id)).slack_ts == h.posts()[-1].ts


async def test_a_crash_before_the_post_posts_it_once_at_restart(h: Harness) -> None:
    await warm(h)
    await queue(h.store, h.clock(), alert("#orders", "20-C2", "killed before posting"))
    (row,) = [r for r in await h.store.run(outbox) if r.status == "pending"]
    await h.store.write(
        st.begin_attempt, row.id, at=utc_now(), target_channel="#orders", target_thread_ts=None
    )
    # A message of another database with the same outbox id must not pass for it.
    other = {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": row.id, "database": "x"}}
    await h.web.chat_postMessage(channel="#orders", text="someone else's", metadata=other)
    assert (await fast(h).drain(timeout=5)).delivered == 1
    assert texts(h, "killed before posting") == 1
    assert readbacks(h) == 1


async def test_a_thread_reply_in_doubt_is_looked_for_in_its_thread(h: Harness) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-T1", "first"))
    assert (await fast(h).drain(timeout=5)).delivered == 1
    await queue(h.store, h.clock(), alert("#orders", "20-T1", "follow-up"))
    h.slack.fail("chat.postMessage", mode="drop")
    assert (await fast(h).drain(timeout=5)).delivered == 1
    assert texts(h, "follow-up") == 1
    assert len(h.slack.calls_to("conversations.replies")) == 1
    assert h.slack.calls_to("conversations.history") == []
    first = next(m for m in h.posts() if m.text == "first")
    assert next(m for m in h.posts() if m.text == "follow-up").thread_ts == first.ts


async def test_without_the_history_scopes_it_says_so_once_and_posts_again(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await warm(h)
    h.slack.scopes = ("chat:write", "commands")
    notifier = fast(h)
    with caplog.at_level(logging.INFO, logger="orderbot.notifier"):
        for text in ("s1", "s2"):
            await queue(h.store, h.clock(), alert("#orders", f"20-{text}", text))
            h.slack.fail("chat.postMessage", mode="drop")
            assert (await notifier.drain(timeout=5)).delivered == 1
    # The known cost: each post in doubt can arrive twice without the scopes.
    assert (texts(h, "s1"), texts(h, "s2")) == (2, 2)
    told = [r.getMessage() for r in caplog.records if "missing_scope" in r.getMessage()]
    assert len(told) == 1 and "channels:history and groups:history" in told[0]


async def test_a_first_post_in_doubt_to_a_channel_named_by_name_is_said_once(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await queue(h.store, h.clock(), alert("#fresh", "20-F1", "by name"))
    await queue(h.store, h.clock(), alert("C0FRESHID", "20-F2", "by id"))
    h.slack.fail("chat.postMessage", mode="drop", times=2)
    with caplog.at_level(logging.WARNING, logger="orderbot.notifier"):
        assert (await fast(h).drain(timeout=5)).delivered == 2
    assert texts(h, "by id") == 1  # an ID can always be read back
    assert texts(h, "by name") == 2  # its Slack ID was not known yet
    told = [r.getMessage() for r in caplog.records if "Slack ID" in r.getMessage()]
    assert len(told) == 1 and "#fresh" in told[0] and "C0123456789" in told[0]


async def test_a_hung_channel_does_not_delay_another(h: Harness) -> None:
    await warm(h, "#slow")
    await queue(
        h.store,
        h.clock(),
        alert("#slow", "20-H0", "slow"),
        *(alert("#fast", f"20-H{i}", f"fast {i}") for i in range(1, 4)),
    )
    h.slack.fail("chat.postMessage", mode="hang", hang=5, channel="#slow")
    notifier = fast(h, post_timeout=1.5)
    notifier.start()
    began = asyncio.get_running_loop().time()
    await until(lambda: sum(texts(h, f"fast {i}") for i in range(1, 4)) == 3, timeout=1.2)
    assert asyncio.get_running_loop().time() - began < 1.2  # not behind the hung post
    await until(lambda: h.store.run(lambda db: st.outbox_stats(db, utc_now()).pending == 0), 5)
    assert texts(h, "slow") == 1  # it timed out, was found in the channel, not posted again


async def test_a_failed_commit_never_repeats_the_post(h: Harness) -> None:
    await warm(h)
    await queue(h.store, h.clock(), alert("#orders", "20-X1", "recorded later"))
    broken = {"now": False}

    def fence(db: object) -> None:
        if broken["now"]:
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorname = "SQLITE_IOERR"
            raise error

    h.store.fence = fence
    h.slack.on_message.append(lambda m: broken.update(now=True))  # Slack took it: now fail
    notifier = fast(h)
    notifier.start()
    await until(lambda: h.store.fault is not None, timeout=3)
    await asyncio.sleep(0.3)  # the notifier keeps trying to record, never to post
    assert texts(h, "recorded later") == 1
    assert len(h.slack.calls_to("chat.postMessage")) == 2  # warm-up and this one
    broken["now"] = False
    h.slack.on_message.clear()
    await until(lambda: h.store.run(lambda db: st.outbox_stats(db, utc_now()).pending == 0), 5)
    assert h.store.fault is None
    assert texts(h, "recorded later") == 1 and readbacks(h) == 0


async def test_retry_times_do_not_follow_wall_clock_steps(h: Harness) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-R1", "steady"))
    h.slack.fail("chat.postMessage", status=503, times=1)
    notifier = h.notifier(backoff_base=10.0)  # the manual clock, and its monotonic clock
    assert (await notifier.deliver_due()).retried == 1
    h.clock.set(h.clock() + timedelta(hours=1))  # a step forward: nothing fires early
    assert (await notifier.deliver_due()).delivered == 0
    h.clock.set(h.clock() - timedelta(days=1))  # a step back: nothing is parked
    h.clock.advance(10)
    assert (await notifier.deliver_due()).delivered == 1


async def test_a_retry_time_from_before_a_restart_is_trusted_only_so_far(h: Harness) -> None:
    await queue(h.store, h.clock(), alert("#orders", "20-R2", "far"))
    (row,) = await h.store.run(outbox)
    far = h.clock() + timedelta(days=10)  # written while the wall clock was far ahead
    await h.store.write(st.mark_retry, row.id, error="x", next_attempt_at=far)
    notifier = h.notifier(backoff_cap=8.0)
    assert notifier.delivery.wait_for(await h.store.run(st.get_outbox, row.id)) == 60.0


def test_the_notifier_posts_with_an_explicit_short_timeout(h: Harness) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=h.slack.api_url)
    assert client.timeout == 30  # slack_sdk's default
    assert h.notifier(post_timeout=4.0).slack.timeout == 4.0
    assert client.timeout == 30
