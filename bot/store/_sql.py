"""Little helpers the store's modules share: query rows as dicts, optional timestamps, and
write transactions that take the lock first, and error texts fit to keep."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso
from bot.log import redact

#: An error or message from outside (Ingram, Slack) is kept to this many characters.
MAX_STORED_TEXT = 1000


def stored_text(text: str) -> str:
    """``text`` as it may be stored: every secret masked (the log's redactor) and cut to
    ``MAX_STORED_TEXT``; an upstream's error text can echo a credential."""
    return redact(text, MAX_STORED_TEXT)


def optional_time(text: str | None) -> datetime | None:
    """A stored timestamp, or None for NULL (or "")."""
    return from_iso(text) if text else None


def dict_rows(
    db: Database, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> Iterator[dict]:
    """The rows of a query, each as a dict of column name to value."""
    cursor = db.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return (dict(zip(keys, row, strict=True)) for row in cursor)


@contextlib.contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that takes SQLite's write lock at its start (``BEGIN IMMEDIATE``).

    A plain ``BEGIN`` takes the lock at the first write, and in WAL mode a transaction that
    read first and then finds another writer got there in between fails at once with
    SQLITE_BUSY, whatever the busy timeout. Taking the lock first makes every read inside
    see what the write will be checked against (the lease, a row's state). Nested inside a
    transaction already open, it is a savepoint of that one.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        _rollback(db)
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        _rollback(db)
        raise


def _rollback(db: Database) -> None:
    """Undo the open transaction; a connection the disk has failed may refuse even that,
    and SQLite rolls back on its own then, so the original error is what is raised."""
    with contextlib.suppress(sqlite3.Error):
        db.conn.rollback()
