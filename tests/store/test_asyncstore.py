"""AsyncStore: one worker thread owns the connection; a poll written and read through it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.store import (
    AsyncStore,
    current_holds,
    due_outbox,
    get_meta,
    last_poll,
    save_poll,
    set_meta,
)
from tests.store.helpers import T0, alert, state


async def test_async_store_runs_on_one_thread_that_is_not_the_loops(tmp_path: Path) -> None:
    loop_thread = threading.get_ident()
    s = await AsyncStore.open(tmp_path / "a" / "bot.db")
    try:
        idents = await asyncio.gather(*(s.run(lambda db: threading.get_ident()) for _ in range(5)))
        assert len(set(idents)) == 1 and idents[0] != loop_thread
        # The connection was made on that thread: sqlite3 would refuse it anywhere else.
        await s.run(set_meta, "k", "v")
        assert await s.run(get_meta, "k") == "v"
        assert await s.run(lambda db, a, *, b: (a, b), 1, b=2) == (1, 2)
        with pytest.raises(ZeroDivisionError):
            await s.run(lambda db: 1 / 0)
        assert await s.run(get_meta, "k") == "v"  # still usable after an error
    finally:
        await s.close()
    assert s.closed
    await s.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await s.run(get_meta, "k")


async def test_async_store_poll_roundtrip(tmp_path: Path) -> None:
    async with await AsyncStore.open(tmp_path / "bot.db") as s:
        poll_id = await s.run(
            save_poll,
            started_at=T0,
            finished_at=T0,
            calls=1,
            orders=1,
            current=[state("20-A-11", hold="C3")],
            events=[],
            alerts=[alert()],
            prune_before=None,
            baseline=True,
            now=T0,
        )
        assert (await s.run(last_poll)).id == poll_id
        assert [h.subordernumber for h in await s.run(current_holds)] == ["20-A-11"]
        assert len(await s.run(due_outbox, T0)) == 1
