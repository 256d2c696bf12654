"""Work that outlives the call that started it (an answer after its ack), kept track of so
that shutdown can let it finish instead of cutting it off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any

log = logging.getLogger("orderbot")


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel a task (None: nothing to do) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def finish(tasks: Iterable[asyncio.Task[Any]], grace: float) -> int:
    """Let ``tasks`` end by themselves for up to ``grace`` seconds, then cancel the rest and
    wait for them; returns how many had to be cancelled."""
    pending = set(tasks)
    if not pending:
        return 0
    _done, late = await asyncio.wait(pending, timeout=grace)
    for task in late:
        task.cancel()
    for task in late:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return len(late)


class Background:
    """A set of background tasks, ``what`` they are for, and a graceful ``drain``."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        return iter(set(self._tasks))

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``work`` in a task of its own, tracked until it ends."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, grace: float = 10.0) -> None:
        """Let the tasks finish (up to ``grace`` seconds), then cancel what is left."""
        pending = set(self._tasks)
        if not pending:
            return
        late = await finish(pending, grace)
        if late:
            log.warning(
                "%d %s were still in progress at shutdown and were dropped", late, self.what
            )
