"""kill -9 of ``orderbot serve`` at random moments, over and over, while holds change and
alerts are posted; then a drain. Every change's alert reaches Slack exactly once.

Real processes and loopback: serve runs as its own process against the Ingram emulator and
the Slack stand-in of this test. Slack answers each call 0.15 s after it took it, and Ingram
each page 0.1 s late, so kills land inside polls and between a post reaching Slack and its
answer reaching orderbot: the moment that used to make duplicates.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pytest

from tests.serving import site, until

KILLS = 24


@pytest.mark.timeout(240)  # about 40 s on a quiet 2-core machine; more under load
async def test_kill_9_at_random_moments_loses_and_duplicates_no_alert(tmp_path: Path) -> None:
    seed = int(os.environ.get("ORDERBOT_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    async with site(tmp_path) as s:
        s.slack.latency = 0.15
        s.ingram.state.latency = 0.1
        serve = await s.serve().start()
        await until(s.baseline_done, 15, "no baseline poll")
        warm = await s.warm_up()
        for _kill in range(KILLS):
            for _ in range(rng.randint(1, 3)):
                s.changes.next()
            await asyncio.sleep(rng.uniform(0.0, 1.2))  # then kill, wherever it is
            await serve.kill()
            serve = await s.serve().start()
        changes = [n for n in s.changes.made if n not in warm]
        await until(lambda: s.delivered(s.changes.made), 60, f"not all delivered (seed {seed})")
        assert await serve.stop() == 0
        result = s.tally(changes)
        print(result.row(f"kill -9 of serve {KILLS} times while alerts were posted (seed {seed})"))
        assert (result.lost, result.duplicated) == ([], {}), f"seed {seed}: {result}"
        assert s.tally(warm).duplicated == {}
        assert len(changes) >= KILLS
        uncertain_looks = len(s.slack.calls_to("conversations.history")) + len(
            s.slack.calls_to("conversations.replies")
        )
        assert uncertain_looks <= KILLS * 3  # at most the posts in flight at each kill
