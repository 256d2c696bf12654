"""When the database fails under the bot: what failed, said in one line.

SQLite reports a full disk, a read-only file or directory, an I/O error, a lock held too
long or a damaged file as ``sqlite3.OperationalError``/``DatabaseError`` with an error name;
``describe`` turns each into what an operator can act on. The database file can also be
deleted or replaced while the bot runs: SQLite keeps writing to the file it opened (now
unlinked, or no longer the one at the path), so everything written after is lost at the next
start. ``FileIdentity`` tells that apart by the file's device and inode.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.store.unusable import StoreError


class StoreUnavailable(StoreError):
    """The database cannot be written now (``StoreFault`` says why); retry later."""


@dataclass(frozen=True, slots=True)
class StoreFault:
    """Why the database cannot be used, since when, and by which operation it was found."""

    reason: str
    since: datetime
    operation: str

    def describe(self, path: Path) -> str:
        return f"the database {path} cannot be written: {self.reason}"


_REASONS = (
    ("SQLITE_FULL", "the disk is full"),
    (
        "SQLITE_READONLY",
        "the database is read-only (check the permissions and attributes of the file, its"
        " -wal and -shm files and their folder, and whether the disk was remounted read-only)",
    ),
    ("SQLITE_IOERR", "disk I/O error"),
    ("SQLITE_BUSY", "another process kept it locked for too long"),
    ("SQLITE_LOCKED", "another process kept it locked for too long"),
    ("SQLITE_CANTOPEN", "the file cannot be opened (was it or its folder removed?)"),
    ("SQLITE_CORRUPT", "the file is damaged (restore a backup)"),
    ("SQLITE_NOTADB", "the file is not a SQLite database (restore a backup)"),
    ("SQLITE_PERM", "the operating system refused access to the file"),
    ("SQLITE_PROTOCOL", "the file's locks are not working (is it on a network filesystem?)"),
    ("SQLITE_NOLFS", "the file is too large for this system"),
)


def is_fault(exc: BaseException) -> bool:
    """True for an error of the database (disk, file, lock), False for a bug of the caller
    (a constraint, a wrong statement: SQLITE_CONSTRAINT, SQLITE_ERROR ...)."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    return isinstance(exc, sqlite3.Error) and name.startswith(tuple(p for p, _ in _REASONS))


def describe(exc: sqlite3.Error) -> str:
    """What failed, for people: the reason and SQLite's own error name."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    for prefix, reason in _REASONS:
        if name.startswith(prefix):
            return f"{reason} ({name})"
    return f"{exc} ({name})" if name else str(exc)


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file a path named when the database was opened: its device and inode."""

    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity:
        st = os.stat(path)
        return cls(st.st_dev, st.st_ino)

    def problem(self, path: Path) -> str | None:
        """Why ``path`` is no longer the file that was opened (None while it is)."""
        try:
            now = FileIdentity.of(path)
        except FileNotFoundError:
            return (
                "the file was deleted while orderbot runs, so nothing it writes now would be"
                " kept: restore the file (or a backup) and restart orderbot"
            )
        except OSError as exc:
            return f"the file cannot be checked ({exc.strerror})"
        if now != self:
            return (
                "the file was replaced while orderbot runs (it still writes to the one it"
                " opened, which is lost at the next start): restart orderbot to open the new"
                " file"
            )
        return None
