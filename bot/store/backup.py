"""A consistent copy of the live database, with SQLite's online backup API.

``backup`` reads the database in one read transaction (in WAL mode a reader never blocks the
writer, so ``serve`` goes on polling and posting meanwhile) and writes every page to a new
file next to the target, checks the copy (``PRAGMA integrity_check``), makes it a single
file (journal mode DELETE: no -wal or -shm to carry along) and only then renames it into
place, so the target is either a complete, checked copy or not there at all.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.store.faults import describe
from bot.store.schema import StoreError


@dataclass(frozen=True)
class BackupReport:
    """What was copied: the file written, its pages and bytes, and how long it took."""

    target: Path
    pages: int
    bytes: int
    seconds: float


def backup(source: Path, target: Path) -> BackupReport:
    """Copy the database at ``source`` to ``target`` (which must not exist yet)."""
    if not source.exists():
        raise StoreError(f"there is no database at {source} to back up (check ORDERBOT_DB)")
    if target.exists():
        raise StoreError(f"{target} exists already: choose a new name for the backup")
    if not target.parent.is_dir():
        raise StoreError(f"cannot write the backup: the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    began = time.perf_counter()
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # every page at once: one consistent read transaction
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise StoreError(f"the copy of {source} is not sound ({check})")
                dst.execute("PRAGMA journal_mode = DELETE")
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {source}: {describe(exc)}") from None
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupReport(target, pages, target.stat().st_size, time.perf_counter() - began)
