"""The whole hold watcher running as ``orderbot serve`` runs it: the poller and the notifier
as background tasks, the Ingram emulator changing holds, the Slack stand-in going down and
coming back. Everything arrives, once, in order, threaded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot import store as st
from bot.clock import utc_now
from tests.watch.test_poller import open_harness, until


async def test_the_watcher_runs_unattended(tmp_path: Path) -> None:
    async with open_harness(tmp_path) as h:
        # The notifier retries on the real clock (every alert the manual clock stamps is due).
        notifier = h.notifier(clock=utc_now, idle_interval=0.05, backoff_base=0.05, backoff_cap=0.1)
        poller = h.poller(interval=0.05, on_alerts=notifier.wake)
        notifier.start()
        poller.start()
        await until(lambda: poller.last_report is not None)
        assert poller.last_report.baseline

        # A credit hold: posted to #credit-alerts.
        h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
        h.clock.advance(60)
        first = await h.slack.wait_for(lambda m: "20-RD12H-21" in m.text, timeout=2)

        # Slack goes down; meanwhile the hold is released and put back: both alerts wait.
        h.slack.down = True
        h.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="")
        h.clock.advance(60)
        await until(lambda: _queued(h.store, "releases", 1), timeout=2)
        h.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C4")
        h.clock.advance(60)
        await until(lambda: _queued(h.store, "credit-holds", 2), timeout=2)
        await until(lambda: any(c.status == 503 for c in h.slack.calls_to("chat.postMessage")))
        h.slack.down = False

        again = await h.slack.wait_for(
            lambda m: "20-RD12H-21" in m.text and "C4" in m.text, timeout=3
        )
        await until(lambda: len(h.posts()) >= 3, timeout=3)
        # The posts are in; the card edits they queue may still be on their way. Stop once
        # nothing is left to post, not at the first moment the posts are seen.
        await until(lambda: _all_sent(h.store, h.clock), timeout=5)
        await poller.stop()
        await notifier.stop()

        released = h.channel_messages("#order-alerts")
        assert len(released) == 1 and "Hold released on 20-RD12H-21" in released[0].text
        assert again.channel == first.channel and again.thread_ts == first.ts
        texts = Counter(m.text for m in h.posts())
        assert all(n == 1 for n in texts.values()) and len(texts) == 3
        stats = await h.store.run(st.outbox_stats, h.clock())
        assert (stats.pending, stats.dead) == (0, 0)


def _count_rule(db: object, rule: str) -> int:
    return int(db.execute("SELECT count(*) FROM outbox WHERE rule = ?", [rule]).fetchone()[0])


async def _queued(store: st.AsyncStore, rule: str, n: int) -> bool:
    """True once the outbox holds ``n`` messages of ``rule`` (posted or not)."""
    return await store.run(_count_rule, rule) >= n


async def _all_sent(store: st.AsyncStore, clock: object) -> bool:
    """True once no message is waiting to be posted, or being posted."""
    return (await store.run(st.outbox_stats, clock())).pending == 0
