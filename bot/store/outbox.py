"""The outbox: the Slack messages the watcher queued, is posting, posted, or gave up on.

A row's life::

    pending --begin_attempt--> sending --mark_delivered/record_delivery--> delivered
       ^                          |  \\--mark_dead--> dead
       \\------mark_retry---------/

``begin_attempt`` is committed BEFORE the HTTP call, with the attempt's time, so a crash at
any moment leaves a trace: a row found in ``sending`` that no live attempt of this process
owns may already be in Slack. So may a row whose attempt ended without Slack's answer (a
timeout, a dropped connection, a body that is not Slack's JSON): ``mark_retry(...,
uncertain=True)`` keeps the earliest such attempt's time in ``uncertain_since``, until the
row is delivered. Before posting an uncertain row again the notifier looks for it in the
channel (``bot.watch.readback``); nothing else ever reads a channel back.

A row may also wait before it is pending (``waiting``): for its rule's ``settle`` time, or
for its rule's ``hours`` to begin (``waiting_for`` says which, ``next_attempt_at`` until when;
``bot.store.waiting``). Rows that end without a post of their own: ``undone`` (settling kept
it quiet: the change was undone within the settle time), ``superseded`` (a card update made
unnecessary: the card shows the latest state anyway) and ``merged`` (waited for hours with
others of its rule, and went out in one digest, ``merged_into``). An operator may make a
dead letter pending again, or drop it (``dropped``): ``bot.store.outbox_ops``.

The kinds of rows: ``alert`` (one event: the first about an order in a channel posts the
order's card, later ones reply in its thread), ``digest`` (many events, one message),
``card_update`` (edit an order's card in place), ``note`` (a line in a card's thread, such
as "@alice is on it"), ``reminder`` (a thread reply the channel sees too) and ``summary``.

Polls queue messages in their own transaction (``bot.store.queueing``'s ``serialize`` and
``queue``, called by ``bot.store.polls.save_poll``). Every transition only moves a row that
is still pending or sending, so a row delivered (or dead) stays so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store._sql import dict_rows, optional_time, stored_text
from bot.store.threads import learn_channel, set_thread

#: The states of an outbox row (see the module's docstring).
PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"
WAITING, UNDONE, SUPERSEDED, MERGED = "waiting", "undone", "superseded", "merged"
DROPPED = "dropped"
#: Every state rows move through. Readers that show the outbox by state
#: (``outbox_counts``, ``orderbot outbox list``) read the states from the rows themselves,
#: so a state another part of orderbot adds shows up without a change here.
STATES: tuple[str, ...] = (
    PENDING,
    SENDING,
    WAITING,
    DELIVERED,
    DEAD,
    UNDONE,
    SUPERSEDED,
    MERGED,
    DROPPED,
)
#: Why a waiting row waits.
SETTLE, HOURS = "settle", "hours"
#: The kinds of rows.
ALERT, DIGEST, CARD_UPDATE, NOTE, REMINDER, SUMMARY = (
    "alert",
    "digest",
    "card_update",
    "note",
    "reminder",
    "summary",
)
#: Kinds posted as a reply in an order's card thread.
THREAD_KINDS = frozenset({NOTE, REMINDER})


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One Slack message waiting to be posted, being posted, posted, or given up on.

    ``status`` is "pending", "sending", "delivered" or "dead"; ``kind`` is "alert" or
    "digest"; ``channel`` is the rule's channel as written, ``slack_channel``/``slack_ts``
    what Slack answered when it was posted. ``sending_at`` is when the latest attempt began,
    ``target_channel``/``target_thread_ts`` where it posted (a thread reply has a thread),
    ``uncertain_since`` when the earliest attempt began that may have reached Slack unseen.
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
    sending_at: datetime | None = None
    uncertain_since: datetime | None = None
    target_channel: str | None = None
    target_thread_ts: str | None = None
    event_id: int | None = None
    subordernumber: str | None = None
    waiting_for: str | None = None
    settle_until: datetime | None = None
    hours: str | None = None
    broadcast: bool = False
    released_at: datetime | None = None

    @property
    def ordernumber(self) -> str:
        """The order a row about one order is about ("" for a row about several)."""
        return self.ordernumbers[0] if len(self.ordernumbers) == 1 else ""

    def may_be_in_slack_since(self) -> datetime | None:
        """When the earliest attempt began that may be in Slack although it was not recorded
        as delivered, for a row no live attempt owns; None when no attempt can be."""
        if self.status == SENDING and self.sending_at is not None:
            return min(self.uncertain_since or self.sending_at, self.sending_at)
        return self.uncertain_since

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
            optional_time(r.get("sending_at")),
            optional_time(r.get("uncertain_since")),
            r.get("target_channel"),
            r.get("target_thread_ts"),
            r.get("event_id"),
            r.get("subordernumber"),
            r.get("waiting_for"),
            optional_time(r.get("settle_until")),
            r.get("hours"),
            bool(r.get("broadcast")),
            optional_time(r.get("released_at")),
        )


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """The outbox at a glance: messages still to post (``due`` of them may go now; of all
    of them ``uncertain`` may be in Slack already), since when the oldest has been due to
    post, and how many are dead letters; and the rows that are not due yet on purpose
    (``settling``, ``waiting_hours``) and those settling kept quiet (``undone``)."""

    pending: int
    oldest_pending_at: datetime | None
    dead: int
    due: int = 0
    uncertain: int = 0
    settling: int = 0
    waiting_hours: int = 0
    undone: int = 0


# --- reading ----------------------------------------------------------------------------------


def channels_with_work(db: Database) -> list[str]:
    """The channels (as the rules name them) that have messages pending or being sent."""
    rows = db.execute(
        "SELECT DISTINCT channel FROM outbox WHERE status IN ('pending', 'sending')"
        " ORDER BY channel"
    )
    return [row[0] for row in rows]


def channel_queue(db: Database, channel: str, limit: int) -> list[OutboxRow]:
    """The first ``limit`` messages of ``channel`` still to post (pending or sending), in the
    order they were queued: the order Slack must show them in."""
    return [
        OutboxRow._from(r)
        for r in dict_rows(
            db,
            "SELECT * FROM outbox WHERE channel = ? AND status IN ('pending', 'sending')"
            " ORDER BY id LIMIT ?",
            [channel, limit],
        )
    ]


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


def next_due_at(db: Database) -> datetime | None:
    """When the earliest pending message is due (None when nothing is pending)."""
    row = db.execute("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'").fetchone()
    return from_iso(row[0]) if row and row[0] else None


def get_outbox(db: Database, id: int) -> OutboxRow | None:
    """One outbox message by id."""
    rows = list(dict_rows(db, "SELECT * FROM outbox WHERE id = ?", [id]))
    return OutboxRow._from(rows[0]) if rows else None


def outbox_stats(db: Database, now: datetime) -> OutboxStats:
    """The outbox backlog (and how much of it is due at ``now``), the dead letters, what waits
    on purpose and what settling kept quiet. A row that waited is due from when it stopped
    waiting (``released_at``), not from when it was queued."""
    pending, oldest, due, uncertain, dead, settling, hours, undone = db.execute(
        "SELECT"
        " count(*) FILTER (WHERE status IN ('pending', 'sending')),"
        " min(coalesce(released_at, created_at)) FILTER (WHERE status IN ('pending', 'sending')),"
        " count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= ?),"
        " count(*) FILTER (WHERE status = 'sending' OR uncertain_since IS NOT NULL),"
        " count(*) FILTER (WHERE status = 'dead'),"
        " count(*) FILTER (WHERE status = 'waiting' AND waiting_for = 'settle'),"
        " count(*) FILTER (WHERE status = 'waiting' AND waiting_for = 'hours'),"
        " count(*) FILTER (WHERE status = 'undone')"
        " FROM outbox WHERE status NOT IN ('delivered', 'superseded', 'merged')",
        [iso(now)],
    ).fetchone()
    return OutboxStats(
        pending=pending,
        oldest_pending_at=optional_time(oldest),
        dead=dead,
        due=due,
        uncertain=uncertain,
        settling=settling,
        waiting_hours=hours,
        undone=undone,
    )


def outbox_counts(db: Database) -> dict[str, int]:
    """How many rows are in each state: every state of ``STATES`` (0 when none is), and
    any other state that rows are in."""
    counts = dict.fromkeys(STATES, 0)
    for status, count in db.execute("SELECT status, count(*) FROM outbox GROUP BY status"):
        counts[str(status)] = int(count)
    return counts


def waiting_counts(db: Database) -> dict[str, int]:
    """How many rows wait, by what for: ``settle`` and ``hours`` (0 when none does), and any
    other reason rows wait for."""
    counts = dict.fromkeys((SETTLE, HOURS), 0)
    for reason, count in db.execute(
        "SELECT waiting_for, count(*) FROM outbox WHERE status = ? GROUP BY waiting_for",
        [WAITING],
    ):
        counts[str(reason)] = int(count)
    return counts


def dead_letters(db: Database, limit: int = 10) -> list[OutboxRow]:
    """The most recent dead letters, newest first."""
    return [
        OutboxRow._from(r)
        for r in dict_rows(
            db, "SELECT * FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT ?", [limit]
        )
    ]


# --- transitions ------------------------------------------------------------------------------


def begin_attempt(
    db: Database,
    id: int,
    *,
    at: datetime,
    target_channel: str,
    target_thread_ts: str | None,
) -> bool:
    """Record that an attempt to post a message starts now, and where it posts; commit this
    BEFORE the HTTP call. A row found in ``sending`` (an earlier attempt that left no
    outcome) keeps that attempt's time as uncertain. False if the row is delivered or dead."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
        " uncertain_since = CASE WHEN status = 'sending'"
        "   THEN coalesce(uncertain_since, sending_at) ELSE uncertain_since END,"
        " sending_at = ?, target_channel = ?, target_thread_ts = ?"
        " WHERE id = ? AND status IN ('pending', 'sending')",
        [iso(at), target_channel, target_thread_ts, id],
    )
    return cursor.rowcount == 1


def mark_delivered(db: Database, id: int, *, slack_channel: str, ts: str, at: datetime) -> bool:
    """Record that the message is in Slack (its post was answered ``ok``, or it was found in
    the channel); False if it was delivered or dead already."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'delivered', delivered_at = ?, slack_channel = ?,"
        " slack_ts = ?, last_error = NULL, uncertain_since = NULL"
        " WHERE id = ? AND status IN ('pending', 'sending')",
        [iso(at), slack_channel, ts, id],
    )
    return cursor.rowcount == 1


def mark_retry(
    db: Database, id: int, *, error: str, next_attempt_at: datetime, uncertain: bool = False
) -> bool:
    """Put a message back to pending after a failed attempt, to try again at
    ``next_attempt_at``. ``uncertain``: the attempt ended without Slack's answer, so it may
    have been posted (the earliest such attempt's time is kept)."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ?,"
        " uncertain_since = CASE WHEN ? AND status = 'sending'"
        "   THEN coalesce(uncertain_since, sending_at) ELSE uncertain_since END"
        " WHERE id = ? AND status IN ('pending', 'sending')",
        [stored_text(error), iso(next_attempt_at), int(uncertain), id],
    )
    return cursor.rowcount == 1


def mark_dead(db: Database, id: int, *, error: str) -> bool:
    """Give up on a message after a permanent error: it becomes a dead letter."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'dead', last_error = ?"
        " WHERE id = ? AND status IN ('pending', 'sending')",
        [stored_text(error), id],
    )
    return cursor.rowcount == 1


def record_delivery(
    db: Database,
    row: OutboxRow,
    *,
    slack_channel: str,
    ts: str,
    at: datetime,
    start_threads: bool,
) -> bool:
    """Mark a message delivered, remember the Slack ID of its channel and, for a top-level
    post, make it the thread of the orders it is about that have none yet, in one
    transaction."""
    with db.atomic():
        delivered = mark_delivered(db, row.id, slack_channel=slack_channel, ts=ts, at=at)
        if delivered:
            learn_channel(db, row.channel, slack_channel, at)
            if start_threads:
                for number in row.ordernumbers:
                    set_thread(db, row.channel, number, slack_channel, ts)
    return delivered
