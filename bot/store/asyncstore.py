"""The database for async code: ``AsyncStore`` runs the store's functions on one thread, and
knows when the database has failed under it."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from bot.clock import Clock, utc_now
from bot.store._sql import immediate
from bot.store.faults import FileIdentity, StoreFault, StoreUnavailable, describe, is_fault
from bot.store.schema import open_db_created

T = TypeVar("T")

log = logging.getLogger("orderbot.store")

#: What a writer checks inside each of its write transactions (the lease's fence).
Fence = Callable[[Database], None]


def _open(path: Path) -> tuple[Database, bool, FileIdentity]:
    """``open_db``, also saying whether the database was new and which file it is."""
    db, created = open_db_created(path)
    return db, created, FileIdentity.of(path)


class AsyncStore:
    """The database for async code: one connection, owned by one dedicated worker thread.

    ``await store.run(fn, *args, **kwargs)`` runs ``fn(db, *args, **kwargs)`` on that thread,
    so SQLite never blocks the event loop and the connection is never shared between
    threads. Calls run one at a time, in the order they were made. ``write`` runs ``fn`` in a
    write transaction behind ``fence`` (the writer lease, when one is set).

    Faults: when SQLite fails (disk full, read-only, I/O error, a lock held too long) or the
    file at ``path`` is no longer the one opened, the call raises ``StoreUnavailable`` and
    ``fault`` says why, until a ``write`` succeeds again. The log says so once when it starts
    and once when it ends.
    """

    def __init__(
        self,
        executor: ThreadPoolExecutor,
        db: Database,
        path: Path,
        *,
        created: bool = False,
        identity: FileIdentity | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._executor = executor
        self._db: Database | None = db
        self.path = path
        #: True when this open created the database (its first poll will be a baseline).
        self.created = created
        self.clock = clock
        self.fence: Fence | None = None
        #: Called (on the event loop) when a fault starts: whoever probes the store wakes up.
        self.on_fault: list[Callable[[], None]] = []
        self._identity = identity
        self._fault: StoreFault | None = None

    @classmethod
    async def open(cls, path: str | Path, *, clock: Clock = utc_now) -> AsyncStore:
        """Open the database at ``path`` (see ``open_db``) on a new worker thread; a database
        that cannot be opened is a ``StoreError`` saying why in one line."""
        path = Path(path)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orderbot-sqlite")
        try:
            db, created, identity = await asyncio.get_running_loop().run_in_executor(
                executor, _open, path
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, db, path, created=created, identity=identity, clock=clock)

    # --- calls -------------------------------------------------------------------------------

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(db, *args, **kwargs)`` on the store's thread and return its result."""
        db = self._live()
        call = functools.partial(fn, db, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except sqlite3.Error as exc:
            if not is_fault(exc):
                raise
            raise self._failed(describe(exc), getattr(fn, "__name__", "query")) from exc

    async def write(
        self, fn: Callable[..., T], /, *args: Any, fenced: bool = True, **kwargs: Any
    ) -> T:
        """Run ``fn(db, ...)`` in one write transaction (``BEGIN IMMEDIATE``) that first
        checks that the file is still the one opened and passes ``fence`` (``LeaseLost``
        when this process is not the writer; ``fenced=False`` to claim the lease itself); a
        success ends a fault."""
        db = self._live()
        fence = self.fence if fenced else None

        def transaction() -> T:
            self._check_file()
            with immediate(db):
                if fence is not None:
                    fence(db)
                return fn(db, *args, **kwargs)

        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, transaction)
        except _Replaced as exc:
            raise self._failed(str(exc), getattr(fn, "__name__", "write")) from None
        except sqlite3.Error as exc:
            if not is_fault(exc):
                raise
            raise self._failed(describe(exc), getattr(fn, "__name__", "write")) from exc
        self._recovered()
        return result

    async def probe(self) -> None:
        """A write that changes nothing: raises ``StoreUnavailable`` while the database
        cannot be written, and ends a fault once it can."""
        await self.write(_touch)

    def _live(self) -> Database:
        db = self._db
        if db is None:
            raise RuntimeError("the store is closed")
        return db

    def _check_file(self) -> None:
        if self._identity is None:
            return
        problem = self._identity.problem(self.path)
        if problem is not None:
            raise _Replaced(problem)

    # --- faults ------------------------------------------------------------------------------

    @property
    def fault(self) -> StoreFault | None:
        """Why the database cannot be written now (None while it can)."""
        return self._fault

    def describe_fault(self) -> str | None:
        """The fault in one line, naming the file (None while there is none)."""
        return self._fault.describe(self.path) if self._fault else None

    def _failed(self, reason: str, operation: str) -> StoreUnavailable:
        fault = self._fault
        if fault is None or fault.reason != reason:
            self._fault = StoreFault(reason, fault.since if fault else self.clock(), operation)
            log.error(
                "%s; polling and delivering stop until a write succeeds again (retried with"
                " backoff)",
                self._fault.describe(self.path),
            )
            for listener in list(self.on_fault):
                listener()
        else:
            log.debug("the database still cannot be written (%s: %s)", operation, reason)
        return StoreUnavailable(self._fault.describe(self.path))

    def _recovered(self) -> None:
        fault, self._fault = self._fault, None
        if fault is not None:
            seconds = (self.clock() - fault.since).total_seconds()
            log.warning(
                "the database %s takes writes again (it could not for %.0f s)", self.path, seconds
            )

    # --- lifecycle ---------------------------------------------------------------------------

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
        except sqlite3.Error as exc:
            log.warning("closing the database %s failed: %s", self.path, describe(exc))
        finally:
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Replaced(Exception):
    """The file at the path is not the one opened (deleted or replaced)."""


def _touch(db: Database) -> None:
    """A write that changes nothing (rewrites one meta row)."""
    db.execute("UPDATE meta SET value = value WHERE key = 'database_id'")
