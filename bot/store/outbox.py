"""The outbox (the Slack messages the watcher queued, posted or gave up on) and the alert
threads (the first message about an order in a channel, which later ones reply in).

Polls queue messages in their own transaction (``serialize`` and ``queue``, called by
``bot.store.polls.save_poll``); the notifier takes them with ``due_in_channel_order`` and
records each outcome with ``record_delivery``, ``mark_retry`` or ``mark_dead``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store._sql import dict_rows, optional_time


class OutboxMessage(Protocol):
    """What the store needs of a message to queue (``bot.watch.alerts.NewAlert`` is one): the rule
    that made it, the channel it goes to, its kind, the orders it is about, its text and its
    Block Kit blocks."""

    @property
    def rule(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def ordernumbers(self) -> Sequence[str]: ...

    @property
    def text(self) -> str: ...

    @property
    def blocks(self) -> Sequence[Mapping[str, Any]]: ...


#: An outbox row as ``queue`` inserts it, serialized: created_at, rule, channel, kind,
#: ordernumbers (JSON), text, blocks (JSON), next_attempt_at.
QueuedRow = tuple[str, str, str, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One Slack message waiting to be posted, posted, or given up on (a dead letter).

    ``status`` is "pending", "delivered" or "dead"; ``kind`` is "alert" or "digest";
    ``channel`` is the rule's channel as written, ``slack_channel``/``slack_ts`` what Slack
    answered when it was posted.
    """

    id: int
    created_at: datetime
    poll_id: int | None
    rule: str
    channel: str
    kind: str
    ordernumbers: list[str]
    text: str
    blocks: list[dict[str, Any]]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    slack_channel: str | None
    slack_ts: str | None

    @classmethod
    def _from(cls, r: dict[str, Any]) -> OutboxRow:
        return cls(
            r["id"],
            from_iso(r["created_at"]),
            r["poll_id"],
            r["rule"],
            r["channel"],
            r["kind"],
            json.loads(r["ordernumbers"]),
            r["text"],
            json.loads(r["blocks"]),
            r["status"],
            r["attempts"],
            from_iso(r["next_attempt_at"]),
            r["last_error"],
            optional_time(r["delivered_at"]),
            r["slack_channel"],
            r["slack_ts"],
        )


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """The outbox at a glance: messages still to post (``due`` of them may go now), when the
    oldest was queued, and how many are dead letters."""

    pending: int
    oldest_pending_at: datetime | None
    dead: int
    due: int = 0


def serialize(alerts: Iterable[OutboxMessage], at: str) -> list[QueuedRow]:
    """The rows ``queue`` inserts for ``alerts``, due at ``at``. Called before the poll's
    transaction opens, so a bad alert cannot leave it half done."""
    return [
        (
            at,
            a.rule,
            a.channel,
            a.kind,
            json.dumps(list(a.ordernumbers)),
            a.text,
            json.dumps(a.blocks),
            at,
        )
        for a in alerts
    ]


def queue(conn: sqlite3.Connection, poll_id: int, rows: Iterable[QueuedRow]) -> None:
    """Insert serialized messages as pending, queued by poll ``poll_id`` (part of the poll's
    transaction)."""
    conn.executemany(
        "INSERT INTO outbox (created_at, poll_id, rule, channel, kind, ordernumbers, text,"
        " blocks, status, attempts, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
        ((row[0], poll_id, *row[1:]) for row in rows),
    )


def due_outbox(db: Database, now: datetime, limit: int = 100) -> list[OutboxRow]:
    """Pending messages whose next attempt is due at ``now``, oldest first."""
    return [
        OutboxRow._from(r)
        for r in dict_rows(
            db,
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
            " ORDER BY id LIMIT ?",
            [iso(now), limit],
        )
    ]


def due_in_channel_order(db: Database, now: datetime, limit: int) -> list[OutboxRow]:
    """Pending messages due at ``now``, oldest first, without those queued behind a message
    of the same channel that is waiting for a retry (so a channel never goes out of order)."""
    rows = due_outbox(db, now, limit)
    if not rows:
        return rows
    heads = dict(
        db.execute(
            "SELECT channel, min(id) FROM outbox WHERE status = 'pending' AND next_attempt_at > ?"
            " GROUP BY channel",
            [iso(now)],
        ).fetchall()
    )
    return [r for r in rows if r.channel not in heads or r.id < heads[r.channel]]


def next_due_at(db: Database) -> datetime | None:
    """When the earliest pending message is due (None when nothing is pending)."""
    row = db.execute("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'").fetchone()
    return from_iso(row[0]) if row and row[0] else None


def get_outbox(db: Database, id: int) -> OutboxRow | None:
    """One outbox message by id."""
    rows = list(dict_rows(db, "SELECT * FROM outbox WHERE id = ?", [id]))
    return OutboxRow._from(rows[0]) if rows else None


def mark_delivered(db: Database, id: int, *, slack_channel: str, ts: str, at: datetime) -> bool:
    """Record that Slack accepted a pending message; False if it was not pending."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?,"
        " slack_channel = ?, slack_ts = ?, last_error = NULL"
        " WHERE id = ? AND status = 'pending'",
        [iso(at), slack_channel, ts, id],
    )
    return cursor.rowcount == 1


def mark_retry(db: Database, id: int, *, error: str, next_attempt_at: datetime) -> bool:
    """Record a failed attempt at a pending message and when to try again."""
    cursor = db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
        " WHERE id = ? AND status = 'pending'",
        [error, iso(next_attempt_at), id],
    )
    return cursor.rowcount == 1


def mark_dead(db: Database, id: int, *, error: str) -> bool:
    """Give up on a pending message after a permanent error: it becomes a dead letter."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?"
        " WHERE id = ? AND status = 'pending'",
        [error, id],
    )
    return cursor.rowcount == 1


def outbox_stats(db: Database, now: datetime) -> OutboxStats:
    """The outbox backlog (and how much of it is due at ``now``) and the dead letters."""
    pending, oldest, due, dead = db.execute(
        "SELECT"
        " count(*) FILTER (WHERE status = 'pending'),"
        " min(created_at) FILTER (WHERE status = 'pending'),"
        " count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= ?),"
        " count(*) FILTER (WHERE status = 'dead')"
        " FROM outbox WHERE status <> 'delivered'",
        [iso(now)],
    ).fetchone()
    return OutboxStats(pending=pending, oldest_pending_at=optional_time(oldest), dead=dead, due=due)


def dead_letters(db: Database, limit: int = 10) -> list[OutboxRow]:
    """The most recent dead letters, newest first."""
    return [
        OutboxRow._from(r)
        for r in dict_rows(
            db, "SELECT * FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT ?", [limit]
        )
    ]


# --- Threads ------------------------------------------------------------------------------------


def get_thread(db: Database, channel: str, ordernumber: str) -> tuple[str, str] | None:
    """The (Slack channel ID, ts) of the first alert about an order in a rule's channel."""
    row = db.execute(
        "SELECT slack_channel, ts FROM threads WHERE channel = ? AND ordernumber = ?",
        [channel, ordernumber],
    ).fetchone()
    return (row[0], row[1]) if row else None


def set_thread(
    db: Database, channel: str, ordernumber: str, slack_channel: str, ts: str
) -> tuple[str, str]:
    """Remember the thread of an order in a channel; the first one wins. Returns the thread
    now on record (the earlier one, if there was one)."""
    with db.atomic():
        db.conn.execute(
            "INSERT INTO threads (channel, ordernumber, slack_channel, ts) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, ordernumber) DO NOTHING",
            [channel, ordernumber, slack_channel, ts],
        )
        stored = get_thread(db, channel, ordernumber)
    assert stored is not None
    return stored


def record_delivery(
    db: Database,
    row: OutboxRow,
    *,
    slack_channel: str,
    ts: str,
    at: datetime,
    start_threads: bool,
) -> bool:
    """Mark a message delivered and, for a top-level post, make it the thread of the orders
    it is about that have none yet, in one transaction."""
    with db.atomic():
        delivered = mark_delivered(db, row.id, slack_channel=slack_channel, ts=ts, at=at)
        if delivered and start_threads:
            for number in row.ordernumbers:
                set_thread(db, row.channel, number, slack_channel, ts)
    return delivered
