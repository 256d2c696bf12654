"""Benchmark of the hold watcher's poll against the local emulator holding 100,000 suborders.

For each run (a fresh database each time): a baseline poll, then a second poll after about
1% of the suborders changed hold (placed, released or changed). For each poll it prints:

* orders and suborders read, and Ingram search calls per poll beside ceil(orders / 100)
  (target: exactly equal);
* seconds to fetch the pages, and seconds to diff and persist (everything after the last
  page: comparing, building the alerts, the one SQLite transaction; target: under 5 s);
* alerts written (the second poll's changes, through the shipped rules/);
* peak RSS of the poller's process (``ru_maxrss``; target: under 200 MB).

Then what exactly-once delivery costs in Slack calls (``bench/readback.py``): history calls
in normal operation (target: none) and after kill -9 of a delivering process (target: at
most one per uncertain row), with the alerts lost or duplicated (target: none).

The emulator runs in a separate process, as Ingram would, with its rate limit raised, and so
is the client's rate budget, so the benchmark measures the poller, not the 60 calls a
minute. Medians over the runs are printed at the end. Run: ``python bench/poll.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import readback
from emulator import EmulatorProcess, sandbox_client

from bot.sandbox.ingram import build_bulk
from bot.store import AsyncStore
from bot.watch.poller import Poller, PollReport
from bot.watch.rules_loading import load_rules

RATE = 100_000  # calls per 60 s, on both sides
RULES = Path(__file__).resolve().parents[1] / "rules"
#: Hold codes the benchmark cycles through: credit and sales holds (which the shipped rules
#: alert on) and a customer hold (which they do not).
HOLDS = ("C3", "SH", "C4", "IM", "S2", "C8")


async def _change_holds(url: str, numbers: list[str], round_: int) -> None:
    """Change the hold of each suborder through the emulator's control API."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        sem = asyncio.Semaphore(16)

        async def one(i: int, number: str) -> None:
            hold = HOLDS[(i + round_) % len(HOLDS)] if (i + round_) % 7 else ""
            async with sem:
                r = await http.post(f"/_sandbox/suborders/{number}", json={"holdreasoncode": hold})
                r.raise_for_status()

        await asyncio.gather(*(one(i, n) for i, n in enumerate(numbers)))


def _sample(suborders: int, share: float) -> list[str]:
    """About ``share`` of the suborder numbers ``build_bulk`` makes (spread evenly).

    Run in a short-lived child process, so that building the orders does not count in
    this process's peak RSS.
    """
    from bot.clock import utc_now

    every = max(1, round(1 / share))
    numbers = [s.subordernumber for o in build_bulk(utc_now(), suborders) for s in o.suborders]
    return numbers[::every]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class Run:
    baseline: PollReport
    second: PollReport
    rss_mb: float


async def one_run(url: str, changes: list[str], round_: int) -> Run:
    """A baseline poll, then a second poll after ~1% of the suborders changed hold."""
    rules = load_rules(RULES)
    with tempfile.TemporaryDirectory(prefix="orderbot-bench-") as tmp:
        store = await AsyncStore.open(Path(tmp) / "orderbot.db")
        async with store, sandbox_client(url, RATE) as client:
            poller = Poller(client, store, rules, interval=0)
            baseline = await poller.poll_once()
            await _change_holds(url, changes, round_)
            second = await poller.poll_once()
    for report in (baseline, second):
        if not report.ok:
            raise SystemExit(f"a poll failed: {report.error}")
    return Run(baseline, second, _peak_rss_mb())


def _row(label: str, run_no: str, r: PollReport, rss: float) -> str:
    return (
        f"{run_no:>4} {label:<10} {r.orders:>7} {r.suborders:>9} {r.calls:>6}"
        f" {math.ceil(r.orders / 100):>10} {r.fetch_s:>8.2f} {r.persist_s:>13.2f}"
        f" {r.events:>7} {r.alerts:>7} {rss:>9.0f}"
    )


async def main(suborders: int, runs: int, changes: list[str]) -> int:
    async with EmulatorProcess(suborders=suborders, rate=RATE) as url:
        async with httpx.AsyncClient() as http:
            state = (await http.get(f"{url}/_sandbox/state")).json()
        return await measure(url, state, suborders, runs, changes)


async def measure(url: str, state: dict, suborders: int, runs: int, changes: list[str]) -> int:
    print(
        f"emulator: {state.get('orders', '?')} orders, {suborders} suborders"
        f" (separate process); {len(changes)} suborders change hold before each second poll"
    )
    print(
        f"{'run':>4} {'poll':<10} {'orders':>7} {'suborders':>9} {'calls':>6}"
        f" {'ceil(o/100)':>10} {'fetch s':>8} {'diff+persist':>13}"
        f" {'events':>7} {'alerts':>7} {'peak MB':>9}"
    )
    results: list[Run] = []
    for i in range(runs):
        run = await one_run(url, changes, i)
        results.append(run)
        print(_row("baseline", str(i + 1), run.baseline, run.rss_mb))
        print(_row("second", str(i + 1), run.second, run.rss_mb))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    reports = [p for r in results for p in (r.baseline, r.second)]
    exact = all(r.calls == math.ceil(r.orders / 100) for r in reports)
    persist_base = med([r.baseline.persist_s for r in results])
    persist_second = med([r.second.persist_s for r in results])
    peak = max(r.rss_mb for r in results)
    print()
    print(f"medians over {runs} runs:")
    print(
        f"  search calls per poll: {med([r.second.calls for r in results]):.0f}"
        f" (ceil(orders/100) = {math.ceil(results[0].second.orders / 100)});"
        f" exactly ceil(orders/100) in every poll: {'yes' if exact else 'NO'}"
    )
    print(
        f"  seconds to fetch: baseline {med([r.baseline.fetch_s for r in results]):.2f},"
        f" second {med([r.second.fetch_s for r in results]):.2f}"
    )
    print(
        f"  seconds to diff and persist: baseline {persist_base:.2f},"
        f" second {persist_second:.2f} (target < 5)"
    )
    print(
        f"  changes and alerts written by the second poll: "
        f"{med([r.second.events for r in results]):.0f} changes,"
        f" {med([r.second.alerts for r in results]):.0f} alerts (digests, through rules/)"
    )
    print(f"  peak RSS: {peak:.0f} MB (target < 200)")
    ok = exact and max(persist_base, persist_second) < 5 and peak < 200
    print()
    ok = await readback.measure() and ok
    print(f"targets met: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--suborders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.01, help="share of suborders changed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()
    with multiprocessing.Pool(1) as pool:
        changes = pool.apply(_sample, (args.suborders, args.share))
    code = asyncio.run(main(args.suborders, args.runs, changes))
    print(f"({time.perf_counter() - began:.0f} s in all)")
    sys.exit(code)
