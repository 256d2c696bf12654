"""Dead letters as an operator sees them: listed, made pending again (keeping what the
exactly-once delivery needs), dropped, all or none, and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlite_utils import Database

from bot.store import audit_log, begin_attempt, due_outbox, get_outbox, mark_dead, mark_retry
from bot.store.outbox_ops import (
    NotADeadLetter,
    Operator,
    dead_ids,
    drop_dead,
    list_outbox,
    retry_dead,
)
from bot.store.retention import prune_batch
from tests.store.helpers import T0, alert, poll

ME = Operator("cli", "ops")


def three_rows(db: Database) -> tuple[int, int, int]:
    """A pending row, and two dead letters (the second may be in Slack: its first attempt
    timed out)."""
    poll(db, [], now=T0, baseline=True, alerts=[alert("20-A"), alert("20-B"), alert("20-C")])
    a, b, c = due_outbox(db, T0)
    for row in (b, c):
        begin_attempt(db, row.id, at=T0, target_channel=row.channel, target_thread_ts=None)
    mark_dead(db, b.id, error="channel_not_found")
    mark_retry(db, c.id, error="timed out", next_attempt_at=T0, uncertain=True)
    begin_attempt(db, c.id, at=T0, target_channel=c.channel, target_thread_ts=None)
    mark_dead(db, c.id, error="not_in_channel")
    return a.id, b.id, c.id


def test_list_shows_what_is_not_delivered_and_the_dead_letters_alone(db: Database) -> None:
    a, b, c = three_rows(db)
    assert [(r.id, r.status) for r in list_outbox(db)] == [
        (a, "pending"),
        (b, "dead"),
        (c, "dead"),
    ]
    assert [r.id for r in list_outbox(db, dead_only=True)] == [b, c] == dead_ids(db)
    assert len(list_outbox(db, limit=1)) == 1


def test_a_retry_makes_dead_letters_due_now_and_keeps_them_uncertain(db: Database) -> None:
    _a, b, c = three_rows(db)
    later = T0 + timedelta(hours=2)
    moved = retry_dead(db, [b, c], at=later, by=ME)
    assert [r.id for r in moved] == [b, c]
    for id in (b, c):
        row = get_outbox(db, id)
        assert (row.status, row.next_attempt_at) == ("pending", later)
    # The one that may be in Slack is still looked for before it is posted again.
    assert get_outbox(db, b).may_be_in_slack_since() is None
    assert get_outbox(db, c).may_be_in_slack_since() == T0
    trail = audit_log(db)
    assert [(t.action, t.outcome, t.user_id, t.user_name) for t in trail] == [
        ("outbox_retry", "pending again", "cli", "ops")
    ] * 2
    assert f"outbox #{c} for #credit-alerts" in trail[0].message
    assert "dead after: not_in_channel" in trail[0].message


def test_all_or_none_and_a_clear_reason(db: Database) -> None:
    a, b, _c = three_rows(db)
    with pytest.raises(NotADeadLetter, match=f"outbox message #{a} is pending, not a dead letter"):
        retry_dead(db, [b, a], at=T0, by=ME)
    assert get_outbox(db, b).status == "dead"  # nothing was changed
    with pytest.raises(NotADeadLetter, match="there is no outbox message #99"):
        drop_dead(db, [99], at=T0, by=ME)
    assert audit_log(db) == []


def test_a_drop_is_final_audited_and_pruned_with_the_delivered(db: Database) -> None:
    _a, b, _c = three_rows(db)
    drop_dead(db, [b], at=T0, by=ME)
    assert get_outbox(db, b).status == "dropped"
    assert b not in [r.id for r in list_outbox(db)]
    with pytest.raises(NotADeadLetter, match="is dropped, not a dead letter"):
        retry_dead(db, [b], at=T0, by=ME)
    (trail,) = audit_log(db)
    assert (trail.action, trail.outcome, trail.ordernumber) == ("outbox_drop", "dropped", "20-B")

    pruned = prune_batch(db, before=T0 + timedelta(days=1), audit_before=T0, batch=10)
    assert pruned.outbox == 1
    assert sorted(r[0] for r in db.execute("SELECT status FROM outbox")) == [
        "dead",
        "pending",
    ]
