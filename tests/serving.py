"""``orderbot serve`` (and ``poll --once``) as real processes against the Ingram emulator and the
Slack stand-in, both on loopback in the test's own process, and the tally of what reached
Slack: the harness of the fault-table, kill-loop and one-writer tests.

The alerts are made countable: a small book of orders, one shipment each, and every change
puts one shipment on hold (credit or sales) or releases one, so each change asks the shipped
rules for exactly one alert naming its shipment. ``Tally`` then says, per change, how many
posts named it: 0 is a lost alert, 2 a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.clock import utc_now
from bot.sandbox.ingram import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    RunningSandbox,
    SandboxState,
    SeedOrder,
    start_sandbox,
    sub,
)
from bot.sandbox.slack import Message, SlackStandIn

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"

#: Orders of the book: the first ones start without a hold, the rest on a customer hold.
FREE, HELD = 60, 30


def book() -> list[SeedOrder]:
    """One shipment per order, entered an hour ago: 20-K0000-11 ... free, then held ones."""
    entered = utc_now() - timedelta(hours=1)
    orders = []
    for n in range(FREE + HELD):
        number = f"20-K{n:04d}"
        held = n >= FREE
        orders.append(
            SeedOrder(
                ordernumber=number,
                customernumber=SANDBOX_CUSTOMER,
                country=SANDBOX_COUNTRY,
                entrytimestamp=entered,
                customerordernumber=f"PO-K{n:04d}",
                suborders=[sub(f"{number}-11", "O" if held else "", "IM" if held else "")],
            )
        )
    return orders


@dataclass
class Changes:
    """Changes to make in the emulator, each asking the rules for one alert about one shipment:
    a credit hold (#credit-alerts), a sales hold (#sales-alerts), a release (#order-alerts)."""

    state: SandboxState
    made: list[str] = field(default_factory=list)
    _free: int = 0
    _held: int = FREE

    def next(self, kind: str | None = None) -> str:
        """Make one change (of ``kind`` "credit", "sales" or "release"; by turns if None)."""
        kind = kind or ("credit", "sales", "release")[len(self.made) % 3]
        if kind == "release":
            number = f"20-K{self._held:04d}-11"
            self._held += 1
            self.state.set_suborder(number, statuscode="", holdreasoncode="")
        else:
            number = f"20-K{self._free:04d}-11"
            self._free += 1
            self.state.set_suborder(number, holdreasoncode="C3" if kind == "credit" else "SH")
        self.made.append(number)
        return number


@dataclass
class Tally:
    """What reached Slack for the changes made: posts naming each shipment."""

    expected: int
    delivered: int
    lost: list[str]
    duplicated: dict[str, int]
    digests: int

    def row(self, fault: str) -> str:
        dup = sum(n - 1 for n in self.duplicated.values())
        return f"| {fault} | {self.expected} | {self.delivered} | {len(self.lost)} | {dup} |"


def tally(slack: SlackStandIn, changes: list[str]) -> Tally:
    posts = [m for m in slack.messages if m.kind == "post"]
    counts = {number: sum(number in m.all_text for m in posts) for number in changes}
    return Tally(
        expected=len(changes),
        delivered=sum(counts.values()),
        lost=[n for n, c in counts.items() if c == 0],
        duplicated={n: c for n, c in counts.items() if c > 1},
        digests=sum(1 for m in posts if _is_digest(m)),
    )


def _is_digest(message: Message) -> bool:
    meta = message.metadata or {}
    return (meta.get("event_payload") or {}).get("kind") == "digest"


def read_db(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A query on the live database from the test (a reader never blocks serve in WAL)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet, or its schema not yet built
    finally:
        db.close()


class Serve:
    """One ``orderbot serve`` process; its log lines are collected as they come."""

    def __init__(self, env: dict[str, str], name: str = "serve") -> None:
        self.env = env
        self.name = name
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self.port: int | None = None
        self._reader: asyncio.Task[None] | None = None
        self._serving = asyncio.Event()

    async def start(self, *, wait: bool = True) -> Serve:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env=self.env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._serving = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        if wait:
            await self.serving()
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := (await self.process.stderr.readline()).decode():
            self.lines.append(line)
            if found := re.search(r"orderbot serving .*/healthz on port (\d+)", line):
                self.port = int(found.group(1))
                self._serving.set()

    async def serving(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        try:
            await asyncio.wait_for(self._serving.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name} did not start:\n{self.log}") from None

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def kill(self) -> None:
        """kill -9: nothing of it runs after this."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
        await self._drained()

    async def stop(self) -> int:
        """SIGTERM, and its exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(self.process.wait(), 30)
        await self._drained()
        return status

    async def _drained(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(f"http://127.0.0.1:{self.port}/healthz")
        return answer.status_code, answer.json()


@dataclass
class Site:
    """Ingram, Slack and a database for serve processes; ``env`` is what they are given."""

    ingram: RunningSandbox
    slack: SlackStandIn
    db: Path
    env: dict[str, str]
    changes: Changes

    def serve(self, name: str = "serve", **env: str) -> Serve:
        return Serve({**self.env, **env}, name)

    async def poll_once(self) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "poll",
            "--once",
            "--delivery-timeout",
            "2",
            env=self.env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode(), err.decode()

    def recorded(self, number: str) -> bool:
        """True once a saved poll recorded the change of ``number``."""
        return bool(read_db(self.db, "SELECT 1 FROM events WHERE subordernumber = ?", (number,)))

    def baseline_done(self) -> bool:
        return bool(read_db(self.db, "SELECT 1 FROM polls WHERE ok = 1"))

    def outbox_left(self) -> int:
        rows = read_db(
            self.db, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
        )
        return rows[0][0] if rows else -1

    def posts_naming(self, number: str) -> int:
        return sum(number in m.all_text for m in self.slack.messages if m.kind == "post")

    def delivered(self, numbers: list[str]) -> bool:
        """True once every change of ``numbers`` was recorded by a poll, the outbox has
        nothing left to post, and Slack shows a post naming each."""
        return (
            all(self.recorded(n) for n in numbers)
            and self.outbox_left() == 0
            and all(self.posts_naming(n) for n in numbers)
        )

    async def warm_up(self) -> list[str]:
        """One alert to each channel, delivered: orderbot then knows each channel's Slack ID,
        which looking for a post in doubt needs (a rule may name a channel by name)."""
        numbers = [self.changes.next(kind) for kind in ("credit", "sales", "release")]
        await until(lambda: self.delivered(numbers), 20, "the warm-up alerts were not posted")
        return numbers

    def tally(self, numbers: list[str] | None = None) -> Tally:
        return tally(self.slack, self.changes.made if numbers is None else numbers)


@asynccontextmanager
async def site(tmp_path: Path, db: Path | None = None, **env: str) -> AsyncIterator[Site]:
    """The emulator with the countable book, the stand-in, and the variables serve needs:
    polls every 0.3 s, a 2 s lease, a 0.5 s Slack timeout, short pacing."""
    ingram = await start_sandbox(SandboxState(orders=book(), rate_limit=100_000))
    slack = SlackStandIn()
    await slack.start()
    path = db or tmp_path / "orderbot.db"
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("INGRAM_", "ORDERBOT_", "SLACK_"))
    }
    variables = {
        **base,
        "INGRAM_BASE_URL": ingram.url,
        "INGRAM_SANDBOX": "1",
        "INGRAM_CLIENT_ID": SANDBOX_CLIENT_ID,
        "INGRAM_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "INGRAM_CUSTOMER_NUMBER": SANDBOX_CUSTOMER,
        "INGRAM_COUNTRY": SANDBOX_COUNTRY,
        "INGRAM_RATE_LIMIT": "100000",
        "INGRAM_TIMEOUT": "5",
        "ORDERBOT_IGNORE_WINDOWS": "1",
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "process-test-secret",
        "SLACK_API_URL": slack.api_url,
        "SLACK_TIMEOUT": "0.5",
        "ORDERBOT_DB": str(path),
        "ORDERBOT_RULES": str(RULES),
        "ORDERBOT_PORT": "0",
        "ORDERBOT_POLL_INTERVAL": "0.3",
        "ORDERBOT_LEASE_SECONDS": "2",
        "ORDERBOT_LOG_LEVEL": "INFO",
        **env,
    }
    try:
        yield Site(ingram, slack, path, variables, Changes(ingram.state))
    finally:
        await slack.stop()
        await ingram.stop()


async def until(done: Callable[[], object], timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Wait (polling every 20 ms) until ``done()``; AssertionError naming ``what`` after
    ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                value = done()
                if asyncio.iscoroutine(value):
                    value = await value
                if value:
                    return
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"{what} (within {timeout:g} s)") from None


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
