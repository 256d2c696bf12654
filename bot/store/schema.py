"""The bot's SQLite database: the hold watcher's snapshot, events, outbox and poll log, the
alert threads, the delete confirmations, the audit trail and a small key/value table.

sqlite-utils style: plain functions that take a ``sqlite_utils.Database`` first, so they can
be called directly (tests, the CLI) or from async code through ``AsyncStore``, which runs them
on one dedicated thread that owns the connection, so the event loop never waits on SQLite.

Every timestamp is stored as ``bot.clock.iso`` writes it (ISO 8601, UTC, microseconds), so
text comparison is time comparison. Functions take and return aware ``datetime`` objects.
The schema is built by ``migrate``, an ordered list of migrations tracked by
``PRAGMA user_version``.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlite_utils import Database

from bot.changes import Event, SuborderState
from bot.clock import from_iso, iso

if TYPE_CHECKING:
    from bot.alerts import NewAlert

T = TypeVar("T")

#: Milliseconds a connection waits for another writer before giving up.
BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """The database cannot be used as it is (for example, written by a newer orderbot)."""


# --- Opening and migrations -------------------------------------------------------------------


def open_db(path: str | Path) -> Database:
    """Open (or create) the bot's database at ``path`` and bring its schema up to date.

    Creates the parent folder, turns on WAL journal mode (readers never block the writer),
    a busy timeout (a second process waits instead of failing) and foreign keys, then runs
    the pending migrations. The connection belongs to the calling thread.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def _m1_watcher(db: Database) -> None:
    """The hold watcher: snapshot, events, outbox, threads, polls, meta."""
    db.create_table(
        "snapshot",
        {
            "subordernumber": str,
            "ordernumber": str,
            "customerordernumber": str,
            "entrytimestamp": str,
            "statuscode": str,
            "status": str,
            "holdreasoncode": str,
            "holdreason": str,
            "first_seen": str,
            "last_seen": str,
            "hold_since": str,
        },
        pk="subordernumber",
        not_null=[
            "ordernumber",
            "customerordernumber",
            "entrytimestamp",
            "statuscode",
            "status",
            "holdreasoncode",
            "holdreason",
            "first_seen",
            "last_seen",
        ],
    )
    # Only the hold code is indexed (``/order holds``): every poll rewrites every row it
    # reads, and each extra index on a rewritten column costs that poll about 0.2 s per
    # 100,000 rows. Pruning scans the table once per poll, which takes milliseconds.
    db["snapshot"].create_index(["holdreasoncode"])
    db.create_table(
        "polls",
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "duration_s": float,
            "calls": int,
            "orders": int,
            "suborders": int,
            "events": int,
            "alerts": int,
            "ok": int,
            "error": str,
            "baseline": int,
        },
        pk="id",
        not_null=["started_at", "finished_at", "ok"],
    )
    db.create_table(
        "events",
        {
            "id": int,
            "poll_id": int,
            "at": str,
            "event": str,
            "ordernumber": str,
            "subordernumber": str,
            "fields": str,
        },
        pk="id",
        foreign_keys=[("poll_id", "polls", "id")],
        not_null=["at", "event", "ordernumber", "subordernumber", "fields"],
    )
    db["events"].create_index(["poll_id"])
    db["events"].create_index(["ordernumber"])
    db.create_table(
        "outbox",
        {
            "id": int,
            "created_at": str,
            "poll_id": int,
            "rule": str,
            "channel": str,
            "kind": str,
            "ordernumbers": str,
            "text": str,
            "blocks": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "delivered_at": str,
            "slack_channel": str,
            "slack_ts": str,
        },
        pk="id",
        foreign_keys=[("poll_id", "polls", "id")],
        not_null=[
            "created_at",
            "rule",
            "channel",
            "kind",
            "ordernumbers",
            "text",
            "blocks",
            "status",
            "attempts",
            "next_attempt_at",
        ],
        defaults={"status": "pending", "attempts": 0},
    )
    db["outbox"].create_index(["status", "next_attempt_at"])
    db.create_table(
        "threads",
        {"channel": str, "ordernumber": str, "slack_channel": str, "ts": str},
        pk=("channel", "ordernumber"),
        not_null=["slack_channel", "ts"],
    )
    db.create_table("meta", {"key": str, "value": str}, pk="key")


def _m2_slack_app(db: Database) -> None:
    """The Slack app: delete confirmations and the audit trail."""
    db.create_table(
        "confirmations",
        {
            "id": str,
            "user_id": str,
            "ordernumber": str,
            "entrydate": str,
            "channel_id": str,
            "created_at": str,
            "expires_at": str,
            "used_at": str,
            "used_by": str,
        },
        pk="id",
        not_null=["user_id", "ordernumber", "entrydate", "created_at", "expires_at"],
    )
    db.create_table(
        "audit",
        {
            "id": int,
            "at": str,
            "user_id": str,
            "user_name": str,
            "action": str,
            "ordernumber": str,
            "outcome": str,
            "message": str,
        },
        pk="id",
        not_null=["at", "user_id", "action", "outcome"],
    )
    db["audit"].create_index(["at"])


#: The schema's history, oldest first. Migration N (1-based) brings ``user_version`` to N.
#: Append only: never edit or reorder a migration that has shipped.
MIGRATIONS: tuple[Callable[[Database], None], ...] = (_m1_watcher, _m2_slack_app)


def schema_version(db: Database) -> int:
    """The database's ``PRAGMA user_version``: how many migrations it has had."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, migrations: Sequence[Callable[[Database], None]] = MIGRATIONS) -> int:
    """Run the migrations the database has not had yet, each once, in its own transaction.

    Safe when two processes start at once: each migration takes the write lock
    (``BEGIN IMMEDIATE``) and re-reads ``user_version`` before running. Returns the version
    reached. Raises ``StoreError`` for a database written by a newer orderbot.
    """
    current = schema_version(db)
    if current > len(migrations):
        raise StoreError(
            f"the database is at schema version {current}, but this orderbot only knows"
            f" {len(migrations)}: it was written by a newer orderbot. Upgrade orderbot, or"
            " point ORDERBOT_DB at another file."
        )
    for number, migration in enumerate(migrations, start=1):
        if number <= current:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) < number:  # another process may have got here first
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
        current = number
    return current


# --- Rows --------------------------------------------------------------------------------------


def _dt(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One shipment in the snapshot, with when the watcher first and last saw it and since
    when it has had its current hold code (None when it is not on hold)."""

    subordernumber: str
    ordernumber: str
    customerordernumber: str
    entrytimestamp: str
    statuscode: str
    status: str
    holdreasoncode: str
    holdreason: str
    first_seen: datetime
    last_seen: datetime
    hold_since: datetime | None

    @property
    def state(self) -> SuborderState:
        """The row as the diff sees it."""
        return SuborderState(
            self.subordernumber,
            self.ordernumber,
            self.customerordernumber,
            self.entrytimestamp,
            self.statuscode,
            self.status,
            self.holdreasoncode,
            self.holdreason,
        )

    @property
    def entry_time(self) -> datetime | None:
        """The order's entry time, if the API gave one."""
        return _dt(self.entrytimestamp)

    @property
    def status_text(self) -> str:
        """The API's status text, or the spec's description."""
        return self.state.status_text

    @property
    def hold_text(self) -> str:
        """The API's hold reason text, or the spec's description."""
        return self.state.hold_text

    @classmethod
    def _from(cls, r: dict[str, Any]) -> SnapshotRow:
        return cls(
            r["subordernumber"],
            r["ordernumber"],
            r["customerordernumber"],
            r["entrytimestamp"],
            r["statuscode"],
            r["status"],
            r["holdreasoncode"],
            r["holdreason"],
            from_iso(r["first_seen"]),
            from_iso(r["last_seen"]),
            _dt(r["hold_since"]),
        )


@dataclass(frozen=True, slots=True)
class PollRow:
    """One poll, successful or not, as ``/order status`` reports it."""

    id: int
    started_at: datetime
    finished_at: datetime
    duration_s: float
    calls: int
    orders: int
    suborders: int
    events: int
    alerts: int
    ok: bool
    error: str | None
    baseline: bool

    @classmethod
    def _from(cls, r: dict[str, Any]) -> PollRow:
        return cls(
            r["id"],
            from_iso(r["started_at"]),
            from_iso(r["finished_at"]),
            float(r["duration_s"] or 0.0),
            r["calls"] or 0,
            r["orders"] or 0,
            r["suborders"] or 0,
            r["events"] or 0,
            r["alerts"] or 0,
            bool(r["ok"]),
            r["error"],
            bool(r["baseline"]),
        )


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
            _dt(r["delivered_at"]),
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


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A pending (or used) delete confirmation: single-use, bound to the requester, expiring."""

    id: str
    user_id: str
    ordernumber: str
    entrydate: date
    channel_id: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None

    @classmethod
    def _from(cls, r: dict[str, Any]) -> Confirmation:
        return cls(
            r["id"],
            r["user_id"],
            r["ordernumber"],
            date.fromisoformat(r["entrydate"]),
            r["channel_id"],
            from_iso(r["created_at"]),
            from_iso(r["expires_at"]),
            _dt(r["used_at"]),
            r["used_by"],
        )


class ClaimResult(enum.StrEnum):
    """What became of an attempt to use a delete confirmation."""

    CLAIMED = "claimed"
    NOT_FOUND = "not_found"
    WRONG_USER = "wrong_user"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One line of the audit trail: who tried what on which order, and how it ended."""

    id: int
    at: datetime
    user_id: str
    user_name: str
    action: str
    ordernumber: str
    outcome: str
    message: str

    @classmethod
    def _from(cls, r: dict[str, Any]) -> AuditRow:
        return cls(
            r["id"],
            from_iso(r["at"]),
            r["user_id"],
            r["user_name"] or "",
            r["action"],
            r["ordernumber"] or "",
            r["outcome"],
            r["message"] or "",
        )


def _rows(db: Database, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Iterator[dict]:
    cursor = db.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return (dict(zip(keys, row, strict=True)) for row in cursor)


# --- Snapshot and polls -------------------------------------------------------------------------

# The columns of a SuborderState, in its field order.
_SELECT_STATES = (
    "SELECT subordernumber, ordernumber, customerordernumber, entrytimestamp, statuscode,"
    " status, holdreasoncode, holdreason FROM snapshot"
)

# One statement for every shipment read: new ones are inserted, known ones get their
# fields and last_seen refreshed; first_seen is never touched; hold_since keeps its time
# while the hold code stays the same, restarts when it changes, and is NULL without a hold.
_UPSERT_SNAPSHOT = """
INSERT INTO snapshot (subordernumber, ordernumber, customerordernumber, entrytimestamp,
                      statuscode, status, holdreasoncode, holdreason,
                      first_seen, last_seen, hold_since)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, CASE WHEN ?7 = '' THEN NULL ELSE ?9 END)
ON CONFLICT (subordernumber) DO UPDATE SET
    ordernumber = excluded.ordernumber,
    customerordernumber = excluded.customerordernumber,
    entrytimestamp = excluded.entrytimestamp,
    statuscode = excluded.statuscode,
    status = excluded.status,
    holdreasoncode = excluded.holdreasoncode,
    holdreason = excluded.holdreason,
    last_seen = excluded.last_seen,
    hold_since = CASE
        WHEN excluded.holdreasoncode = '' THEN NULL
        WHEN snapshot.holdreasoncode = excluded.holdreasoncode
             AND snapshot.hold_since IS NOT NULL THEN snapshot.hold_since
        ELSE excluded.last_seen
    END
"""


def load_snapshot(db: Database) -> dict[str, SuborderState]:
    """Every shipment the watcher knows, keyed by suborder number, as the diff wants it.

    Repeated values (order number, PO, entry time, codes and texts) share one string object
    each: a third less memory for 100,000 rows.
    """
    texts: dict[str, str] = {}
    share = texts.setdefault
    return {
        row[0]: SuborderState(row[0], *(share(v, v) for v in row[1:]))
        for row in db.execute(_SELECT_STATES)
    }


def snapshot_count(db: Database) -> int:
    """How many shipments the snapshot holds (0 means the next poll is a baseline)."""
    return int(db.execute("SELECT count(*) FROM snapshot").fetchone()[0])


def get_snapshot_row(db: Database, subordernumber: str) -> SnapshotRow | None:
    """One shipment of the snapshot, if known."""
    rows = list(_rows(db, "SELECT * FROM snapshot WHERE subordernumber = ?", [subordernumber]))
    return SnapshotRow._from(rows[0]) if rows else None


def save_poll(
    db: Database,
    *,
    started_at: datetime,
    finished_at: datetime,
    calls: int,
    orders: int,
    current: list[SuborderState],
    events: list[Event],
    alerts: list[NewAlert],
    prune_before: datetime | None,
    baseline: bool,
    now: datetime,
) -> int:
    """Record a successful poll in ONE transaction and return its id.

    Upserts every shipment read (new ones inserted, known ones refreshed keeping
    ``first_seen``, ``hold_since`` maintained, ``last_seen`` set to ``now`` for all), deletes
    shipments entered before ``prune_before`` that this poll did not see (also those without
    an entry time), records the events and queues the alerts in the outbox, due at ``now``.
    Either all of it is written or, if anything fails, none of it.
    """
    at = iso(now)
    # Serialize before the transaction opens, so a bad alert cannot leave it half done.
    event_rows = [
        (at, e.kind, e.ordernumber, e.subordernumber, json.dumps(e.fields())) for e in events
    ]
    outbox_rows = [
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
    conn = db.conn
    with db.atomic():
        poll_id = conn.execute(
            "INSERT INTO polls (started_at, finished_at, duration_s, calls, orders, suborders,"
            " events, alerts, ok, error, baseline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, ?)",
            (
                iso(started_at),
                iso(finished_at),
                max(0.0, (finished_at - started_at).total_seconds()),
                calls,
                orders,
                len(current),
                len(events),
                len(alerts),
                int(baseline),
            ),
        ).lastrowid
        conn.executemany(
            _UPSERT_SNAPSHOT,
            (
                (
                    s.subordernumber,
                    s.ordernumber,
                    s.customerordernumber,
                    s.entrytimestamp,
                    s.statuscode,
                    s.status,
                    s.holdreasoncode,
                    s.holdreason,
                    at,
                )
                for s in current
            ),
        )
        if prune_before is not None:
            conn.execute(
                "DELETE FROM snapshot WHERE entrytimestamp < ? AND last_seen <> ?",
                (iso(prune_before), at),
            )
        conn.executemany(
            "INSERT INTO events (poll_id, at, event, ordernumber, subordernumber, fields)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ((poll_id, *row) for row in event_rows),
        )
        conn.executemany(
            "INSERT INTO outbox (created_at, poll_id, rule, channel, kind, ordernumbers, text,"
            " blocks, status, attempts, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
            ((row[0], poll_id, *row[1:]) for row in outbox_rows),
        )
    assert poll_id is not None
    return int(poll_id)


def record_failed_poll(
    db: Database, *, started_at: datetime, finished_at: datetime, calls: int, error: str
) -> int:
    """Record a poll that could not read Ingram (nothing else changes); returns its id."""
    with db.atomic():
        poll_id = db.conn.execute(
            "INSERT INTO polls (started_at, finished_at, duration_s, calls, orders, suborders,"
            " events, alerts, ok, error, baseline) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, ?, 0)",
            (
                iso(started_at),
                iso(finished_at),
                max(0.0, (finished_at - started_at).total_seconds()),
                calls,
                error,
            ),
        ).lastrowid
    assert poll_id is not None
    return int(poll_id)


def last_poll(db: Database) -> PollRow | None:
    """The most recent poll, successful or not."""
    rows = list(_rows(db, "SELECT * FROM polls ORDER BY id DESC LIMIT 1"))
    return PollRow._from(rows[0]) if rows else None


def last_successful_poll(db: Database) -> PollRow | None:
    """The most recent poll that read Ingram."""
    rows = list(_rows(db, "SELECT * FROM polls WHERE ok = 1 ORDER BY id DESC LIMIT 1"))
    return PollRow._from(rows[0]) if rows else None


_SELECT_HOLDS = (
    "SELECT * FROM snapshot WHERE holdreasoncode <> ''"
    " ORDER BY coalesce(hold_since, first_seen), ordernumber, subordernumber"
)
_SELECT_HOLDS_OF_CODE = (
    "SELECT * FROM snapshot WHERE holdreasoncode = ?"
    " ORDER BY coalesce(hold_since, first_seen), ordernumber, subordernumber"
)


def current_holds(db: Database, code: str | None = None) -> list[SnapshotRow]:
    """Shipments on hold now (optionally only hold reason ``code``), longest held first."""
    if code is None:
        rows = _rows(db, _SELECT_HOLDS)
    else:
        wanted = code.strip().upper()
        if not wanted:
            return []
        rows = _rows(db, _SELECT_HOLDS_OF_CODE, [wanted])
    return [SnapshotRow._from(r) for r in rows]


def events_of_poll(db: Database, poll_id: int) -> list[dict[str, str]]:
    """The fields of the events a poll recorded, in the order they were derived."""
    return [
        json.loads(row[0])
        for row in db.execute("SELECT fields FROM events WHERE poll_id = ? ORDER BY id", [poll_id])
    ]


# --- Outbox -------------------------------------------------------------------------------------


def due_outbox(db: Database, now: datetime, limit: int = 100) -> list[OutboxRow]:
    """Pending messages whose next attempt is due at ``now``, oldest first."""
    return [
        OutboxRow._from(r)
        for r in _rows(
            db,
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
            " ORDER BY id LIMIT ?",
            [iso(now), limit],
        )
    ]


def get_outbox(db: Database, id: int) -> OutboxRow | None:
    """One outbox message by id."""
    rows = list(_rows(db, "SELECT * FROM outbox WHERE id = ?", [id]))
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
    return OutboxStats(pending=pending, oldest_pending_at=_dt(oldest), dead=dead, due=due)


def dead_letters(db: Database, limit: int = 10) -> list[OutboxRow]:
    """The most recent dead letters, newest first."""
    return [
        OutboxRow._from(r)
        for r in _rows(
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


# --- Delete confirmations and audit ---------------------------------------------------------------


def create_confirmation(
    db: Database,
    *,
    id: str,
    user_id: str,
    ordernumber: str,
    entrydate: date | str,
    channel_id: str | None,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """Store a delete confirmation that ``user_id`` alone may use once before ``expires_at``."""
    db.execute(
        "INSERT INTO confirmations (id, user_id, ordernumber, entrydate, channel_id,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            id,
            user_id,
            ordernumber,
            entrydate.isoformat() if isinstance(entrydate, date) else str(entrydate),
            channel_id,
            iso(created_at),
            iso(expires_at),
        ],
    )


def get_confirmation(db: Database, id: str) -> Confirmation | None:
    """A confirmation by id, used or not."""
    rows = list(_rows(db, "SELECT * FROM confirmations WHERE id = ?", [id]))
    return Confirmation._from(rows[0]) if rows else None


def claim_confirmation(db: Database, id: str, user_id: str, now: datetime) -> ClaimResult:
    """Use a confirmation: CLAIMED for exactly one caller, however many try at once.

    The claim is one conditional UPDATE, so concurrent claims (threads, processes) cannot
    both win. A wrong user or an expired confirmation does not consume it.
    """
    at = iso(now)
    with db.atomic():
        cursor = db.conn.execute(
            "UPDATE confirmations SET used_at = ?, used_by = ?"
            " WHERE id = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?",
            [at, user_id, id, user_id, at],
        )
        if cursor.rowcount == 1:
            return ClaimResult.CLAIMED
        row = db.conn.execute(
            "SELECT user_id, used_at FROM confirmations WHERE id = ?", [id]
        ).fetchone()
    if row is None:
        return ClaimResult.NOT_FOUND
    if row[0] != user_id:
        return ClaimResult.WRONG_USER
    if row[1] is not None:
        return ClaimResult.ALREADY_USED
    return ClaimResult.EXPIRED


def write_audit(
    db: Database,
    *,
    at: datetime,
    user_id: str,
    user_name: str,
    action: str,
    ordernumber: str,
    outcome: str,
    message: str = "",
) -> int:
    """Append a line to the audit trail; returns its id."""
    cursor = db.execute(
        "INSERT INTO audit (at, user_id, user_name, action, ordernumber, outcome, message)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [iso(at), user_id, user_name, action, ordernumber, outcome, message],
    )
    return int(cursor.lastrowid or 0)


def audit_log(db: Database, limit: int = 50) -> list[AuditRow]:
    """The latest audit lines, newest first."""
    return [
        AuditRow._from(r)
        for r in _rows(db, "SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit])
    ]


# --- Meta ---------------------------------------------------------------------------------------


def get_meta(db: Database, key: str, default: str | None = None) -> str | None:
    """A value of the key/value table, or ``default``."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(db: Database, key: str, value: str) -> None:
    """Set a value of the key/value table."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


# --- Async access -------------------------------------------------------------------------------


class AsyncStore:
    """The database for async code: one connection, owned by one dedicated worker thread.

    ``await store.run(fn, *args, **kwargs)`` runs ``fn(db, *args, **kwargs)`` on that thread,
    so SQLite never blocks the event loop and the connection is never shared between
    threads. Calls run one at a time, in the order they were made.
    """

    def __init__(self, executor: ThreadPoolExecutor, db: Database, path: Path) -> None:
        self._executor = executor
        self._db: Database | None = db
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> AsyncStore:
        """Open the database at ``path`` (see ``open_db``) on a new worker thread."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orderbot-sqlite")
        try:
            db = await asyncio.get_running_loop().run_in_executor(executor, open_db, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, db, Path(path))

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(db, *args, **kwargs)`` on the store's thread and return its result."""
        db = self._db
        if db is None:
            raise RuntimeError("the store is closed")
        call = functools.partial(fn, db, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    @property
    def closed(self) -> bool:
        """True once ``close`` has been called."""
        return self._db is None

    async def close(self) -> None:
        """Close the connection (on its thread) and stop the thread. Safe to call twice."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, db.close)
        finally:
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
