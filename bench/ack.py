"""Benchmark of the Slack app's acknowledgement while Ingram is slow.

``SandboxWorld`` runs the real bot (``orderbot serve``'s code path, HTTP mode) and its
database; the Ingram emulator answers every call in 2 s from a process of its own, as Ingram
is remote (``bench/emulator.py``), with both rate limits raised so they do not interfere.
Slack's side runs in another process too, as Slack does (so that its own work is not counted
as the bot's): a ``SlackUser`` with one shared aiohttp session fires 200
concurrent ``/order 20-RD12H`` commands signed as Slack signs them, each with its own
``response_url`` (served by a Slack stand-in in that process), and measures:

* p50 and p99 of the ack latency (Slack gives an app 3 s; the target is p99 under 100 ms);
* the time from the first command until the last answer arrives through its
  ``response_url``.

First the same burst against an app that acks at once and does nothing, to show what
Slack's side itself costs; then three rounds on one bot; the last line gives the medians.
Run: ``python bench/ack.py`` (``--senders 2`` splits Slack's side over two processes).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import aiohttp
from aiohttp import web
from emulator import EmulatorProcess

from bot.runtime import freeze_startup_objects
from bot.sandbox.slack import Message, SlackStandIn, SlackUser
from bot.sandbox.world import SIGNING_SECRET, SandboxWorld

UNLIMITED = 10**6


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def one_round(
    user: SlackUser, commands: int, at: float, answers: bool
) -> tuple[list[float], float]:
    """At UNIX time ``at``, fire ``commands`` at once; (ack latencies, when the last answer
    arrived as UNIX time, or ``at`` when no ``answers`` are expected)."""
    slack = user.standin
    answered: dict[str, float] = {}
    done = asyncio.Event()
    expected: set[str] = set()

    def arrived(message: Message) -> None:
        if message.kind == "response" and message.response_url not in answered:
            answered[str(message.response_url)] = time.time()
            if expected and expected <= answered.keys():
                done.set()

    slack.on_message.append(arrived)
    try:
        await asyncio.sleep(max(0.0, at - time.time()))
        results = await asyncio.gather(
            *(user.command("/order", "20-RD12H") for _ in range(commands))
        )
        if answers:
            expected.update(r.response_url for r in results)
            if not expected <= answered.keys():
                await asyncio.wait_for(done.wait(), 300)
    finally:
        slack.on_message.remove(arrived)
    failed = [r for r in results if r.status != 200 or r.timed_out]
    if failed:
        raise SystemExit(f"{len(failed)} of {commands} commands were not acknowledged with 200")
    return [r.elapsed for r in results], max((answered[u] for u in expected), default=at)


async def slack_side(commands: int, orders: Connection, out: Connection) -> None:
    """One of Slack's processes: a stand-in for the response_urls, and a user who fires
    ``commands`` commands for each (time, request URL, answers expected) ``orders`` sends
    (None: stop)."""
    connector = aiohttp.TCPConnector(limit=0)  # Slack sends each request on its own connection
    async with SlackStandIn() as slack, aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()
        while (order := await loop.run_in_executor(None, orders.recv)) is not None:
            at, request_url, answers = order
            user = SlackUser(slack, request_url, SIGNING_SECRET, session=session)
            out.send(await one_round(user, commands, at, answers))


def run_slack_side(commands: int, orders: Connection, out: Connection) -> None:
    asyncio.run(slack_side(commands, orders, out))


class SlackSide:
    """Slack's side of the benchmark: ``senders`` processes sharing the commands."""

    def __init__(self, commands: int, senders: int) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.links: list[tuple[BaseProcess, Connection, Connection]] = []
        for i in range(senders):
            share = commands // senders + (i < commands % senders)
            orders_in, orders_out = spawn.Pipe(duplex=False)
            results_in, results_out = spawn.Pipe(duplex=False)
            process = spawn.Process(
                target=run_slack_side, args=(share, orders_in, results_out), daemon=True
            )
            process.start()
            orders_in.close()  # the child's ends: a child that dies ends our recv()
            results_out.close()
            self.links.append((process, orders_out, results_in))

    async def round(self, request_url: str, answers: bool = True) -> tuple[float, float, float]:
        """Every process fires its commands at the same moment; (p50, p99, last answer)."""
        loop = asyncio.get_running_loop()
        at = time.time() + 2.0  # every process is started and waiting by then
        for _process, orders, _results in self.links:
            orders.send((at, request_url, answers))
        acks: list[float] = []
        last = 0.0
        for _process, _orders, results in self.links:
            latencies, answered = await loop.run_in_executor(None, results.recv)
            acks += latencies
            last = max(last, answered - at)
        return percentile(acks, 50), percentile(acks, 99), last

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        for process, orders, _results in self.links:
            orders.send(None)
            await loop.run_in_executor(None, process.join, 10)


async def baseline(slack: SlackSide) -> tuple[float, float, float]:
    """Slack's side alone: the same burst against an app that acks at once and does nothing."""

    async def ack(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    app = web.Application()
    app.router.add_post("/slack/events", ack)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        await slack.round(url, answers=False)  # the connections are opened: warm, as below
        return await slack.round(url, answers=False)
    finally:
        await runner.cleanup()


async def main(commands: int, rounds: int, latency: float, senders: int) -> None:
    print(
        f"{commands} concurrent /order commands from {senders} Slack-side process(es),"
        f" Ingram answering in {latency:g} s, {rounds} rounds"
    )
    slack = SlackSide(commands, senders)
    figures: list[tuple[float, float, float]] = []
    try:
        p50, p99, _ = await baseline(slack)
        print(
            f"Slack's side alone (an app that acks at once): ack p50 {p50 * 1000:6.1f} ms"
            f"  p99 {p99 * 1000:6.1f} ms",
            flush=True,
        )
        async with (
            EmulatorProcess(rate=UNLIMITED, latency=latency) as ingram_url,
            SandboxWorld(ingram_url=ingram_url, rate_limit=UNLIMITED) as world,
        ):
            assert world.request_url is not None
            freeze_startup_objects()  # as ``orderbot serve`` does once it has started
            for n in range(1, rounds + 1):
                p50, p99, last = await slack.round(world.request_url)
                figures.append((p50, p99, last))
                print(
                    f"round {n}: ack p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms"
                    f"  last answer after {last:5.2f} s",
                    flush=True,
                )
            async with aiohttp.ClientSession() as http:
                state = await (await http.get(f"{ingram_url}/_sandbox/state")).json()
            calls = state["counters"]["search_calls"]
    finally:
        await slack.stop()
    p50 = statistics.median(f[0] for f in figures)
    p99 = statistics.median(f[1] for f in figures)
    last = statistics.median(f[2] for f in figures)
    verdict = "met" if p99 < 0.100 else "MISSED"
    print(
        f"median: ack p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms"
        f"  last answer after {last:5.2f} s  (target p99 < 100 ms: {verdict});"
        f" {calls} Ingram searches in all"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--senders", type=int, default=1, help="Slack-side processes")
    args = parser.parse_args()
    asyncio.run(main(args.commands, args.rounds, args.latency, args.senders))
