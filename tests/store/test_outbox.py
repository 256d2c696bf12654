"""The outbox from pending to delivered, retried or dead, and the alert threads."""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from bot import store
from bot.store import (
    dead_letters,
    due_outbox,
    get_thread,
    mark_dead,
    mark_delivered,
    mark_retry,
    outbox_stats,
    set_thread,
)
from tests.store.helpers import T0, alert, poll


def test_outbox_lifecycle(db: Database) -> None:
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A"), alert("20-B"), alert("20-C")])
    a, b, c = due_outbox(db, T0)
    assert [r.ordernumbers for r in (a, b, c)] == [["20-A"], ["20-B"], ["20-C"]]
    assert due_outbox(db, T0 - timedelta(seconds=1)) == []
    assert len(due_outbox(db, T0, limit=2)) == 2

    # A is delivered, B fails and will be retried in 30 s, C is a dead letter.
    assert mark_delivered(db, a.id, slack_channel="C0123", ts="1700000000.000100", at=T0)
    assert mark_retry(db, b.id, error="HTTP 503", next_attempt_at=T0 + timedelta(seconds=30))
    assert mark_dead(db, c.id, error="channel_not_found")
    assert due_outbox(db, T0 + timedelta(seconds=29)) == []
    (again,) = due_outbox(db, T0 + timedelta(seconds=30))
    assert (again.id, again.attempts, again.last_error) == (b.id, 1, "HTTP 503")

    stats = outbox_stats(db, T0)
    assert (stats.pending, stats.oldest_pending_at, stats.dead, stats.due) == (1, T0, 1, 0)
    assert outbox_stats(db, T0 + timedelta(minutes=1)).due == 1
    (dead,) = dead_letters(db)
    assert (dead.id, dead.status, dead.last_error, dead.attempts) == (
        c.id,
        "dead",
        "channel_not_found",
        1,
    )
    delivered = store.get_outbox(db, a.id)
    assert (delivered.status, delivered.slack_channel, delivered.slack_ts) == (
        "delivered",
        "C0123",
        "1700000000.000100",
    )
    assert delivered.delivered_at == T0

    # Only pending messages change state.
    assert not mark_delivered(db, c.id, slack_channel="C1", ts="1", at=T0)
    assert not mark_retry(db, a.id, error="x", next_attempt_at=T0)
    assert not mark_dead(db, a.id, error="x")
    assert mark_delivered(db, b.id, slack_channel="C0123", ts="2", at=T0)
    empty = outbox_stats(db, T0)
    assert (empty.pending, empty.oldest_pending_at, empty.dead) == (0, None, 1)


def test_threads_first_one_wins(db: Database) -> None:
    assert get_thread(db, "#credit-alerts", "20-A") is None
    assert set_thread(db, "#credit-alerts", "20-A", "C0123", "111.1") == ("C0123", "111.1")
    assert set_thread(db, "#credit-alerts", "20-A", "C0123", "222.2") == ("C0123", "111.1")
    assert get_thread(db, "#credit-alerts", "20-A") == ("C0123", "111.1")
    assert get_thread(db, "#sales-alerts", "20-A") is None
    set_thread(db, "#sales-alerts", "20-A", "C0456", "333.3")
    assert get_thread(db, "#sales-alerts", "20-A") == ("C0456", "333.3")
