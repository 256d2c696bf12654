"""Why the database file cannot be used, in one line that names it and says what to do.

``open_db`` turns whatever opening the file raised (an ``OSError`` creating its folder, an
``sqlite3`` error opening, reading or checking it) into a ``StoreError`` with such a line:
a path that cannot be created or written (a root-owned bind mount, a path under ``/proc``),
a file that is not an SQLite database, one that is corrupt, one another process keeps
locked, a full disk.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

#: What to do with a database that cannot be read as it is.
_SET_ASIDE = (
    "restore it from a backup, or move it aside (with its -wal and -shm files) so that orderbot"
    " starts a fresh one, whose first poll records a baseline and posts no alerts"
)


class StoreError(Exception):
    """The database cannot be used as it is (for example, written by a newer orderbot)."""


def unusable(path: Path, exc: BaseException) -> StoreError:
    """The ``StoreError`` for an ``OSError`` or ``sqlite3.Error`` met opening ``path``."""
    where = f"ORDERBOT_DB={path}"
    said = " ".join(str(exc).split())
    text = said.lower()
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        folder = Path(exc.filename) if exc.filename else path.parent
        return StoreError(
            f"{where}: cannot create the folder {folder} ({reason}); set ORDERBOT_DB to a"
            " file in a folder orderbot may write (in Docker, a volume its user 10001 owns)"
        )
    if "not a database" in text:
        return StoreError(
            f"{path} is not an SQLite database ({where}): point ORDERBOT_DB at orderbot's"
            " database, or move this file aside to start a fresh one"
        )
    if "malformed" in text or "corrupt" in text or type(exc) is sqlite3.DatabaseError:
        return StoreError(f"{path} (ORDERBOT_DB) is corrupt ({said}): {_SET_ASIDE}")
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"{where}: the database is read-only for orderbot (file or folder permissions, or"
            " a read-only mount); orderbot writes it and the -wal and -shm files beside it"
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{where}: another process keeps the database locked; stop it, or point"
            " ORDERBOT_DB at another file"
        )
    if "full" in text:
        return StoreError(f"{where}: the disk is full; free some space, then start again")
    if "unable to open" in text:
        return StoreError(f"{where}: {_cannot_open(path)}")
    return StoreError(f"{where}: cannot use the database ({said})")


def _cannot_open(path: Path) -> str:
    if path.is_dir():
        return "that is a folder, not a database file; name a file in it instead"
    if not path.exists() and not os.access(path.parent, os.W_OK):
        return (
            f"cannot create a file in {path.parent} (permission denied); set ORDERBOT_DB to a"
            " file in a folder orderbot may write (in Docker, a volume its user 10001 owns)"
        )
    return "cannot open the file (check its permissions and the folder's)"


def check_integrity(db: Database, path: Path) -> None:
    """``PRAGMA quick_check``: corruption found now, with a clear line, rather than by the
    first poll that reads a damaged page (a tenth of a second for 80 MB)."""
    rows = db.execute("PRAGMA quick_check(1)").fetchall()
    if rows != [("ok",)]:
        found = " ".join(str(rows[0][0]).split()) if rows else "no answer"
        raise StoreError(f"{path} (ORDERBOT_DB) is corrupt ({found}): {_SET_ASIDE}")
