"""What exactly-once delivery costs in Slack calls: the read-back, in normal operation and
after crashes. ``bench/poll.py`` prints it after the poll figures; alone:
``python bench/readback.py``.

1. Normal operation: the notifier posts ``--alerts`` alerts over six channels; every
   ``conversations.history``/``replies`` call counts (target: none).
2. Crashes: ``--crashes`` times, a notifier in a process of its own posts a batch of alerts
   and is killed with SIGKILL at a random moment (the Slack stand-in answers each post 0.05 s
   after it took it, so kills land between a post and its answer); then a notifier in this
   process delivers what is left. Uncertain rows are those the crash left that may be in
   Slack already (sending, or an attempt without an answer); each costs at most one history
   call (target), and none may be lost or posted twice.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import utc_now
from bot.sandbox.slack import SlackStandIn
from bot.store import AsyncStore, save_poll
from bot.watch.alerts import ALERT, NewAlert
from bot.watch.notifier import Notifier

CHANNELS = [f"#bench-{n}" for n in range(6)]


def _alerts(first: int, count: int) -> list[NewAlert]:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "bench"}}]
    return [
        NewAlert(
            "bench", CHANNELS[n % len(CHANNELS)], ALERT, [f"20-B{n:05d}"], f"alert {n}", blocks
        )
        for n in range(first, first + count)
    ]


async def _queue(store: AsyncStore, alerts: list[NewAlert]) -> None:
    now = utc_now()
    await store.write(
        save_poll,
        started_at=now,
        finished_at=now,
        calls=0,
        orders=0,
        current=[],
        events=[],
        alerts=alerts,
        prune_before=None,
        baseline=False,
        now=now,
    )


def _notifier(store: AsyncStore, url: str) -> Notifier:
    web = AsyncWebClient(token="xoxb-test", base_url=url)
    return Notifier(store, web, per_channel_interval=0.01, backoff_base=0.05, backoff_cap=0.2)


async def _child(db: str, url: str) -> None:
    """The process that gets killed: deliver until killed."""
    async with await AsyncStore.open(db) as store:
        await _notifier(store, url).drain(timeout=60)


def _uncertain(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT count(*) FROM outbox WHERE status = 'sending'"
            " OR (status = 'pending' AND uncertain_since IS NOT NULL)"
        ).fetchone()[0]
    finally:
        con.close()


def _readbacks(slack: SlackStandIn) -> int:
    return len(slack.calls_to("conversations.history")) + len(
        slack.calls_to("conversations.replies")
    )


async def measure(alerts: int = 300, crashes: int = 10, batch: int = 30, seed: int = 1) -> bool:
    """Print the figures; True when the targets are met."""
    rng = random.Random(seed)
    slack = SlackStandIn()
    await slack.start()
    try:
        with tempfile.TemporaryDirectory(prefix="orderbot-readback-") as tmp:
            db = Path(tmp) / "orderbot.db"
            async with await AsyncStore.open(db) as store:
                began = time.perf_counter()
                await _queue(store, _alerts(0, alerts))
                report = await _notifier(store, slack.api_url).drain(timeout=120)
                normal = _readbacks(slack)
                print(
                    f"read-back, normal operation: {report.delivered} alerts posted over"
                    f" {len(CHANNELS)} channels in {time.perf_counter() - began:.1f} s,"
                    f" {normal} history calls (target 0)"
                )
                slack.latency = 0.05
                uncertain = calls = 0
                next_alert = alerts
                for _crash in range(crashes):
                    await _queue(store, _alerts(next_alert, batch))
                    next_alert += batch
                    child = await asyncio.create_subprocess_exec(
                        sys.executable, __file__, "--child", str(db), slack.api_url
                    )
                    await asyncio.sleep(rng.uniform(0.3, 0.9))
                    child.kill()
                    await child.wait()
                    uncertain += _uncertain(db)
                    before = _readbacks(slack)
                    await _notifier(store, slack.api_url).drain(timeout=60)
                    calls += _readbacks(slack) - before
        posted = Counter(m.text for m in slack.messages if m.kind == "post")
        duplicated = sum(n - 1 for n in posted.values() if n > 1)
        lost = next_alert - len(posted)
        ratio = calls / uncertain if uncertain else 0.0
        print(
            f"read-back after {crashes} kill -9 of a delivering process: {uncertain} uncertain"
            f" rows, {calls} history calls ({ratio:.2f} per uncertain row, target at most 1);"
            f" {next_alert} alerts in all, {lost} lost, {duplicated} duplicated"
        )
        return normal == 0 and calls <= uncertain and lost == 0 and duplicated == 0
    finally:
        await slack.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        logging.basicConfig(level=logging.ERROR)
        asyncio.run(_child(sys.argv[2], sys.argv[3]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--crashes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    ok = asyncio.run(measure(args.alerts, args.crashes, seed=args.seed))
    print(f"targets met: {'yes' if ok else 'NO'}")
    sys.exit(0 if ok else 1)
