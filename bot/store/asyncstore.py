"""The database for async code: ``AsyncStore`` runs the store's functions on one thread."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from bot.store.schema import open_db

T = TypeVar("T")


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
