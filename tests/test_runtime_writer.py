"""One writer per database, over real processes: two ``serve`` on one database, the takeover
when the holder is killed, and ``poll --once`` while ``serve`` polls. Every alert reaches
Slack exactly once, and no digest is made of alerts two processes queued twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.serving import Serve, Site, site, until


async def writer_of(serve: Serve) -> str:
    _status, body = await serve.healthz()
    return body["parts"]["writer"]["detail"]


async def holds(serve: Serve) -> bool:
    return (await writer_of(serve)).startswith("holds the writer lease")


async def rounds(s: Site, changes: int, per_round: int) -> list[str]:
    """``changes`` changes, ``per_round`` at a time, each round recorded before the next (so
    that no rule gets more than five alerts in one poll: no digest is expected)."""
    made: list[str] = []
    while len(made) < changes:
        batch = [s.changes.next() for _ in range(min(per_round, changes - len(made)))]
        await until(lambda b=batch: all(s.recorded(n) for n in b), 15, "a change was not polled")
        made += batch
    return made


async def test_two_serve_on_one_fresh_database(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        first = await s.serve("first").start(wait=False)
        await asyncio.sleep(0.5)
        second = await s.serve("second").start(wait=False)
        await first.serving()
        await second.serving()
        writers = [await holds(first), await holds(second)]
        assert sorted(writers) == [False, True]
        standby = second if writers[0] else first
        detail = await writer_of(standby)
        assert detail.startswith("standby: orderbot serve (pid")
        assert "answers Slack commands but neither polls nor delivers" in detail
        status, body = await standby.healthz()
        assert status == 200 and body["parts"]["poller"]["detail"].startswith("standby")

        await until(s.baseline_done, 15, "no baseline poll")
        changes = await rounds(s, 21, per_round=6)
        await until(lambda: s.delivered(changes), 30, "not all delivered")
        for serve in (first, second):
            assert await serve.stop() == 0
        result = s.tally(changes)
        print(result.row("two serve on one database (started 0.5 s apart, fresh db)"))
        assert (result.lost, result.duplicated, result.digests) == ([], {}, 0)
        said = [line for line in standby.lines if "neither polls nor delivers" in line]
        assert len(said) == 1  # the log says so once
        assert not any("poll " in line and " ok" in line for line in standby.lines)


async def test_the_standby_takes_over_when_the_holder_is_killed(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        holder = await s.serve("holder").start()
        await until(s.baseline_done, 15, "no baseline poll")
        standby = await s.serve("standby").start()
        assert await holds(holder) and not await holds(standby)
        before = await rounds(s, 3, per_round=3)
        await until(lambda: s.delivered(before), 15, "the holder did not deliver")

        await holder.kill()
        killed = time.monotonic()
        await until(lambda: holds(standby), 5, "the standby did not take over")
        took = time.monotonic() - killed
        assert took < 2.0  # ORDERBOT_LEASE_SECONDS of the site
        assert any("took the writer lease over" in line for line in standby.lines)

        after = await rounds(s, 6, per_round=3)
        await until(lambda: s.delivered(after), 15, "the new holder did not deliver")
        assert await standby.stop() == 0
        result = s.tally(before + after)
        print(result.row(f"kill -9 of the lease holder; the standby took over in {took:.2f} s"))
        assert (result.lost, result.duplicated) == ([], {})


async def test_poll_once_while_serve_polls(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        serve = await s.serve().start()
        await until(s.baseline_done, 15, "no baseline poll")
        changes: list[str] = []
        for run in range(12):
            changes += [s.changes.next() for _ in range(2 if run < 10 else 1)]
            status, out, err = await s.poll_once()
            assert status == 1, (out, err)
            assert "orderbot serve (pid" in err and "is polling this database" in err
            assert "poll --once does nothing while it runs" in err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        await until(lambda: s.delivered(changes), 30, "not all delivered")
        assert await serve.stop() == 0
        result = s.tally(changes)
        print(result.row("serve running while poll --once runs 12 times"))
        assert (result.lost, result.duplicated) == ([], {})

        # With serve gone, poll --once is the writer itself.
        s.changes.next("credit")
        status, out, err = await s.poll_once()
        assert status == 0, err
        assert "1 alerts; delivered 1" in out
