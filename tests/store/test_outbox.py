"""The outbox from pending through sending to delivered, retried or dead; uncertain attempts;
the alert threads and the channels' Slack IDs."""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from bot import store
from bot.store import (
    begin_attempt,
    channel_id,
    channel_queue,
    channels_with_work,
    dead_letters,
    due_outbox,
    get_outbox,
    get_thread,
    mark_dead,
    mark_delivered,
    mark_retry,
    outbox_stats,
    record_delivery,
    set_thread,
)
from tests.store.helpers import T0, alert, poll


def attempt(db: Database, id: int, at=T0, thread: str | None = None) -> bool:
    return begin_attempt(db, id, at=at, target_channel="#credit-alerts", target_thread_ts=thread)


def test_outbox_lifecycle(db: Database) -> None:
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A"), alert("20-B"), alert("20-C")])
    a, b, c = due_outbox(db, T0)
    assert [r.ordernumbers for r in (a, b, c)] == [["20-A"], ["20-B"], ["20-C"]]
    assert due_outbox(db, T0 - timedelta(seconds=1)) == []
    assert len(due_outbox(db, T0, limit=2)) == 2

    # Every attempt is recorded before its HTTP call.
    for row in (a, b, c):
        assert attempt(db, row.id)
    sending = get_outbox(db, a.id)
    assert (sending.status, sending.attempts, sending.sending_at) == ("sending", 1, T0)
    assert sending.target_channel == "#credit-alerts"

    # A is delivered, B fails and will be retried in 30 s, C is a dead letter.
    assert mark_delivered(db, a.id, slack_channel="C0123", ts="1700000000.000100", at=T0)
    assert mark_retry(db, b.id, error="HTTP 503", next_attempt_at=T0 + timedelta(seconds=30))
    assert mark_dead(db, c.id, error="channel_not_found")
    assert due_outbox(db, T0 + timedelta(seconds=29)) == []
    (again,) = due_outbox(db, T0 + timedelta(seconds=30))
    assert (again.id, again.attempts, again.last_error) == (b.id, 1, "HTTP 503")
    assert again.may_be_in_slack_since() is None  # Slack answered: it was not posted

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

    # Only messages still to post change state.
    assert not attempt(db, a.id)
    assert not mark_delivered(db, c.id, slack_channel="C1", ts="1", at=T0)
    assert not mark_retry(db, a.id, error="x", next_attempt_at=T0)
    assert not mark_dead(db, a.id, error="x")
    assert mark_delivered(db, b.id, slack_channel="C0123", ts="2", at=T0)
    empty = outbox_stats(db, T0)
    assert (empty.pending, empty.oldest_pending_at, empty.dead) == (0, None, 1)


def test_an_attempt_without_an_answer_stays_uncertain_until_delivered(db: Database) -> None:
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A")])
    (row,) = due_outbox(db, T0)
    t1, t2, t3 = (T0 + timedelta(seconds=s) for s in (10, 20, 30))

    # Found in sending (a crash after the mark): that attempt may be in Slack.
    assert attempt(db, row.id, at=t1)
    found = get_outbox(db, row.id)
    assert found.may_be_in_slack_since() == t1
    assert outbox_stats(db, t1).uncertain == 1

    # Posted again after looking for it: the first attempt's time is kept...
    assert attempt(db, row.id, at=t2)
    # ... and this one timed out: the row is pending, still uncertain since t1.
    assert mark_retry(db, row.id, error="timed out", next_attempt_at=t3, uncertain=True)
    waiting = get_outbox(db, row.id)
    assert (waiting.status, waiting.attempts, waiting.uncertain_since) == ("pending", 2, t1)
    assert waiting.may_be_in_slack_since() == t1
    # A later answered failure (429) does not make it certain.
    assert attempt(db, row.id, at=t3)
    assert mark_retry(db, row.id, error="ratelimited", next_attempt_at=t3)
    assert get_outbox(db, row.id).uncertain_since == t1

    assert mark_delivered(db, row.id, slack_channel="C0123", ts="5.5", at=t3)
    done = get_outbox(db, row.id)
    assert (done.status, done.uncertain_since) == ("delivered", None)
    assert outbox_stats(db, t3).uncertain == 0


def test_a_plain_timeout_is_uncertain_from_its_own_attempt(db: Database) -> None:
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A")])
    (row,) = due_outbox(db, T0)
    assert attempt(db, row.id, at=T0 + timedelta(seconds=3))
    assert mark_retry(db, row.id, error="timed out", next_attempt_at=T0, uncertain=True)
    assert get_outbox(db, row.id).may_be_in_slack_since() == T0 + timedelta(seconds=3)


def test_channel_queues_in_order_with_sending_rows(db: Database) -> None:
    other = alert("20-X")
    other = type(other)(other.rule, "#sales-alerts", other.kind, ["20-X"], other.text, [])
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A"), other, alert("20-B")])
    a, x, b = due_outbox(db, T0)
    assert channels_with_work(db) == ["#credit-alerts", "#sales-alerts"]
    assert attempt(db, a.id)
    assert [r.id for r in channel_queue(db, "#credit-alerts", 10)] == [a.id, b.id]
    assert [r.status for r in channel_queue(db, "#credit-alerts", 10)] == ["sending", "pending"]
    assert [r.id for r in channel_queue(db, "#credit-alerts", 1)] == [a.id]
    mark_dead(db, x.id, error="channel_not_found")
    assert channels_with_work(db) == ["#credit-alerts"]


def test_record_delivery_learns_the_channel_id_and_starts_threads(db: Database) -> None:
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A")])
    (row,) = due_outbox(db, T0)
    assert channel_id(db, "#credit-alerts") is None  # never posted there
    assert channel_id(db, "C0KNOWN") == "C0KNOWN"  # an ID is its own
    assert attempt(db, row.id)
    assert record_delivery(db, row, slack_channel="C0CREDIT", ts="1.1", at=T0, start_threads=True)
    assert channel_id(db, "#credit-alerts") == "C0CREDIT"
    assert get_thread(db, "#credit-alerts", "20-A") == ("C0CREDIT", "1.1")
    assert not record_delivery(
        db, row, slack_channel="C0CREDIT", ts="9.9", at=T0, start_threads=True
    )


def test_threads_first_one_wins(db: Database) -> None:
    assert get_thread(db, "#credit-alerts", "20-A") is None
    assert set_thread(db, "#credit-alerts", "20-A", "C0123", "111.1") == ("C0123", "111.1")
    assert set_thread(db, "#credit-alerts", "20-A", "C0123", "222.2") == ("C0123", "111.1")
    assert get_thread(db, "#credit-alerts", "20-A") == ("C0123", "111.1")
    assert get_thread(db, "#sales-alerts", "20-A") is None
    set_thread(db, "#sales-alerts", "20-A", "C0456", "333.3")
    assert get_thread(db, "#sales-alerts", "20-A") == ("C0456", "333.3")


def test_outbox_counts_every_state_the_rows_are_in(db: Database) -> None:
    none = dict.fromkeys(
        (
            "pending",
            "sending",
            "waiting",
            "delivered",
            "dead",
            "undone",
            "superseded",
            "merged",
            "dropped",
        ),
        0,
    )
    assert store.outbox_counts(db) == none
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A"), alert("20-B"), alert("20-C")])
    a, b, _c = due_outbox(db, T0)
    mark_dead(db, a.id, error="channel_not_found")
    mark_delivered(db, b.id, slack_channel="C1", ts="1.1", at=T0)
    # A state this module does not know (another feature's) is counted as it comes.
    db.execute("INSERT INTO outbox (created_at, rule, channel, kind, ordernumbers, text, blocks,"
               " status, attempts, next_attempt_at) VALUES (?, 'r', '#c', 'alert', '[]', 't',"
               " '[]', 'waiting_for_hours', 0, ?)", [T0.isoformat(), T0.isoformat()])  # fmt: skip
    assert store.outbox_counts(db) == {
        **none,
        "pending": 1,
        "delivered": 1,
        "dead": 1,
        "waiting_for_hours": 1,
    }
