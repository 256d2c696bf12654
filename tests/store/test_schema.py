"""Opening the database and migrating it: WAL, busy timeout, foreign keys, an old
database brought up to date, a failed migration undone, a newer one refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.clock import iso
from bot.store import StoreError, get_meta, load_snapshot, open_db, set_meta
from bot.store.cards import order_hold
from bot.store.schema import BUSY_TIMEOUT_MS, MIGRATIONS, migrate, schema_version
from tests.store.helpers import T0


def test_open_db_creates_folder_wal_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.db"
    db = open_db(path)
    try:
        assert path.exists()
        assert db.journal_mode == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: see schema.py
        assert len(get_meta(db, "database_id")) == 16
        assert schema_version(db) == len(MIGRATIONS)
        assert {
            "snapshot",
            "events",
            "outbox",
            "threads",
            "polls",
            "confirmations",
            "audit",
            "meta",
            "lease",
            "channels",
        } <= set(db.table_names())
        assert any(i.columns == ["holdreasoncode"] for i in db["snapshot"].indexes)
    finally:
        db.close()


def test_open_db_twice_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = open_db(path)
    set_meta(db, "k", "v")
    schema = db.schema
    db.close()
    again = open_db(path)
    try:
        assert again.schema == schema
        assert get_meta(again, "k") == "v"
        assert migrate(again) == len(MIGRATIONS)
    finally:
        again.close()


def test_an_old_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    assert migrate(old, MIGRATIONS[:1]) == 1
    # What the first orderbot wrote: a baseline poll that saw 20-A-11 on hold.
    at = iso(T0)
    old.execute(
        "INSERT INTO polls (started_at, finished_at, ok, baseline) VALUES (?, ?, 1, 1)", [at, at]
    )
    old["snapshot"].insert(
        {
            "subordernumber": "20-A-11",
            "ordernumber": "20-A",
            "customerordernumber": "PO-1",
            "entrytimestamp": at,
            "statuscode": "C",
            "status": "",
            "holdreasoncode": "C3",
            "holdreason": "",
            "first_seen": at,
            "last_seen": at,
            "hold_since": at,
        }
    )
    old.conn.commit()
    assert "confirmations" not in old.table_names()
    old.close()

    db = open_db(path)
    try:
        assert schema_version(db) == len(MIGRATIONS)
        assert "confirmations" in db.table_names() and "audit" in db.table_names()
        assert list(load_snapshot(db)) == ["20-A-11"]
        # The hold lifecycle knows the order was on hold since before orderbot watched.
        hold = order_hold(db, "20-A")
        assert hold is not None and hold.before_watching and hold.held_since == T0
    finally:
        db.close()


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    db = Database(sqlite3.connect(tmp_path / "x.db"))

    def broken(database: Database) -> None:
        database.create_table("half_done", {"id": int}, pk="id")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(db, [MIGRATIONS[0], broken])
    assert schema_version(db) == 1
    assert "half_done" not in db.table_names()
    assert "snapshot" in db.table_names()
    db.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer orderbot"):
        open_db(path)
