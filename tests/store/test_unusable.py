"""Why a database file cannot be used, in one line naming it (the cases a test process running
as root cannot make for real: permission denied, a read-only file, a full disk)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store.unusable import unusable


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (PermissionError(13, "Permission denied", "/data"), "cannot create the folder /data"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "is read-only"),
        (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (sqlite3.OperationalError("database is locked"), "keeps the database locked"),
        (sqlite3.DatabaseError("file is not a database"), "is not an SQLite database"),
        (sqlite3.DatabaseError("database disk image is malformed"), "is corrupt"),
        (sqlite3.OperationalError("unable to open database file"), "cannot create a file in"),
    ],
)
def test_each_failure_is_one_line_naming_the_file(error: Exception, says: str) -> None:
    path = Path("/data/no-such-folder-here/orderbot.db")
    message = str(unusable(path, error))
    assert says in message and "\n" not in message
    assert "ORDERBOT_DB" in message and ("/data" in message)
