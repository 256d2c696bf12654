"""Opening the bot's SQLite database and building its schema.

``open_db`` opens (or creates) the file with the settings every connection needs; the schema
is built by ``migrate``, an ordered list of migrations tracked by ``PRAGMA user_version``.
The tables themselves are read and written by the modules of their family: ``snapshot``,
``polls`` (and events), ``outbox`` (and threads, channels), ``confirmations`` (and audit),
``lease``, ``meta``.

Durability: WAL with ``synchronous=FULL``. WAL alone survives a process crash at any point
(a kill -9 loses nothing committed); ``FULL`` also syncs the WAL at every commit, so a power
loss cannot take back a commit either. That matters for one commit above all: the outbox row
marked ``sending`` before its HTTP post. Under ``NORMAL`` a power loss could roll that mark
back to ``pending`` after Slack got the post, and the post would be sent again without the
look in the channel that an uncertain row gets. The price is one fsync per commit: a handful
per alert, one per poll, milliseconds each.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlite_utils import Database

from bot.store.schema_lifecycle import m5_hold_lifecycle
from bot.store.unusable import StoreError, check_integrity, unusable

#: Milliseconds a connection waits for another writer before giving up.
BUSY_TIMEOUT_MS = 10_000


def open_db(path: str | Path) -> Database:
    """Open (or create) the bot's database at ``path`` and bring its schema up to date.

    Creates the parent folder, turns on WAL journal mode (readers never block the writer),
    a busy timeout (a second process waits instead of failing) and foreign keys, then runs
    the pending migrations, and checks the file is not corrupt. The connection belongs to the
    calling thread. A file that cannot be used raises ``StoreError`` with one line naming it
    and saying what to do (``bot.store.unusable``).
    """
    return open_db_created(path)[0]


def open_db_created(path: str | Path) -> tuple[Database, bool]:
    """``open_db``, also telling whether this open created the database (it had no schema)."""
    path = Path(path)
    db = connect(path)
    try:
        created = schema_version(db) == 0
        migrate(db)
        check_integrity(db, path)
    except (OSError, sqlite3.Error) as exc:
        db.close()
        raise unusable(path, exc) from None
    except BaseException:
        db.close()
        raise
    return db, created


def connect(path: str | Path) -> Database:
    """Open (or create) the database file with the settings every connection needs, without
    migrating it (``open_db`` does both)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, sqlite3.Error) as exc:
        raise unusable(path, exc) from None
    try:
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.enable_wal()
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
    except (OSError, sqlite3.Error) as exc:
        conn.close()
        raise unusable(path, exc) from None
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


def _m3_exactly_once(db: Database) -> None:
    """Exactly-once delivery and one writer: the outbox's attempts, the channels' IDs, the
    writer lease, and this database's identity."""
    outbox = db["outbox"]
    # When the latest attempt began (committed before its HTTP call), where it posted, and
    # since when an attempt may have reached Slack without the app knowing (uncertain).
    for column in ("sending_at", "uncertain_since", "target_channel", "target_thread_ts"):
        outbox.add_column(column, str)
    # The notifier reads each channel's queue in order; pruning reads delivered rows by age.
    db.execute(
        "CREATE INDEX idx_outbox_queue ON outbox (channel, id)"
        " WHERE status IN ('pending', 'sending')"
    )
    outbox.create_index(["delivered_at"])
    # The Slack ID of each channel a rule names, learned from Slack's answers: reading a
    # channel back (conversations.history) takes an ID, never a name.
    db.create_table(
        "channels",
        {"name": str, "slack_id": str, "learned_at": str},
        pk="name",
        not_null=["slack_id", "learned_at"],
    )
    db.create_table(
        "lease",
        {
            "name": str,
            "holder": str,
            "role": str,
            "pid": int,
            "host": str,
            "acquired_at": str,
            "renewed_at": str,
            "expires_at": str,
        },
        pk="name",
        not_null=["holder", "role", "pid", "host", "acquired_at", "renewed_at", "expires_at"],
    )
    # Who this database is, in every post's metadata: outbox ids restart with a new database,
    # and a message of an earlier one must never pass for a post of this one.
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('database_id', ?) ON CONFLICT (key) DO NOTHING",
        [secrets.token_hex(8)],
    )


def _m4_one_live_confirmation(db: Database) -> None:
    """One live delete confirmation per order: a newer prompt supersedes the older ones."""
    db["confirmations"].add_column("superseded_by", str)
    db["confirmations"].create_index(["ordernumber"])
    db["audit"].create_index(["ordernumber", "action", "outcome"])


#: The schema's history, oldest first. Migration N (1-based) brings ``user_version`` to N.
#: Append only: never edit or reorder a migration that has shipped.
MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _m1_watcher,
    _m2_slack_app,
    _m3_exactly_once,
    _m4_one_live_confirmation,
    m5_hold_lifecycle,
)


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
