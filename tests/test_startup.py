"""``orderbot serve`` starting up, as a real process, the way it meets the world: a token Slack
refuses, Slack out of reach, SIGTERM at any moment, a port in use, a database path it cannot
use, a file that is not a database or is corrupt. Each failure is one line and a non-zero
exit, never a traceback; an outage is waited out with /healthz answering 503 meanwhile."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bot.sandbox.ingram import RunningSandbox, SandboxState, start_sandbox
from bot.sandbox.slack import SlackStandIn
from bot.store import open_db
from tests.cli.test_cli import ROOT, sandbox_env


@pytest_asyncio.fixture
async def ingram() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(SandboxState())
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn()
    await standin.start()
    yield standin
    await standin.stop()


def serve_env(
    ingram: RunningSandbox, slack: SlackStandIn, tmp_path: Path, **overrides: str
) -> dict[str, str]:
    """The environment of an ``orderbot serve`` over these emulators, in HTTP mode on a free
    port (``SLACK_APP_TOKEN=slack.app_token`` among ``overrides`` makes it Socket Mode)."""
    return sandbox_env(
        ingram.url,
        tmp_path,
        **{
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": "serve-secret",
            "SLACK_API_URL": slack.api_url,
            "ORDERBOT_RULES": str(ROOT / "rules"),
            "ORDERBOT_PORT": "0",
            **overrides,
        },
    )


@pytest.fixture
def env(ingram: RunningSandbox, slack: SlackStandIn, tmp_path: Path) -> dict[str, str]:
    return serve_env(
        ingram,
        slack,
        tmp_path,
        SLACK_SIGNING_SECRET="startup-secret",
        SLACK_APP_TOKEN=slack.app_token,
        ORDERBOT_HEALTH_PORT="0",
        ORDERBOT_POLL_INTERVAL="3600",
    )


class Serve:
    """``orderbot serve`` as a subprocess, its log read line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> Serve:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", *args,
            env=env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    async def line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:  # noqa: ASYNC109
        """The next log line matching ``pattern``."""
        assert self.process.stderr is not None
        try:
            async with asyncio.timeout(timeout):
                while line := (await self.process.stderr.readline()).decode():
                    self.lines.append(line)
                    if found := re.search(pattern, line):
                        return found
        except TimeoutError:
            raise AssertionError(
                f"serve did not log {pattern!r} within {timeout:g} s:\n{self.log}"
            ) from None
        raise AssertionError(f"serve ended without logging {pattern!r}:\n{self.log}")

    async def ended(self, timeout: float = 30.0) -> tuple[int, float]:  # noqa: ASYNC109
        """Wait for the process to end: its exit status and how long that took."""
        began = time.monotonic()
        _out, rest = await asyncio.wait_for(self.process.communicate(), timeout)
        self.lines += rest.decode().splitlines(keepends=True)
        return self.process.returncode or 0, time.monotonic() - began

    def terminate(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)

    @property
    def log(self) -> str:
        return "".join(self.lines)


async def healthz(port: int) -> tuple[int, dict]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{port}/healthz")
    return response.status_code, response.json()


def assert_one_line_failure(run: Serve, status: int, *needles: str) -> str:
    assert status == 2, run.log
    assert "Traceback" not in run.log and "| " not in run.log, run.log
    last = run.log.strip().splitlines()[-1]
    assert last.startswith("orderbot: "), run.log
    for needle in needles:
        assert needle in last, last
    return last


# --- Slack ------------------------------------------------------------------------------------


async def test_a_refused_app_token_stops_serve_at_once(env: dict[str, str]) -> None:
    run = await Serve.start({**env, "SLACK_APP_TOKEN": "xapp-revoked-or-wrong"})
    status, took = await run.ended()
    assert_one_line_failure(run, status, "Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert took < 10
    assert "will be unused" not in run.log  # Bolt no longer reads SLACK_BOT_TOKEN itself


async def test_slack_out_of_reach_is_waited_out_with_healthz_503_then_sigterm_ends_it(
    env: dict[str, str], slack: SlackStandIn
) -> None:
    async with slack.unreachable():
        run = await Serve.start(env)
        try:
            port = int((await run.line(r"listening: /healthz on port (\d+)")).group(1))
            await run.line(r"WARNING orderbot.slack cannot reach Slack: checking SLACK_BOT_TOKEN")
            status, body = await healthz(port)
            assert status == 503 and body["unhealthy"] == ["slack"], body
            assert "trying again in" in body["parts"]["slack"]["detail"]
        except BaseException:
            run.terminate()
            raise
    try:
        await run.line(r"orderbot serving \(Socket Mode", timeout=30)
        status, body = await healthz(port)
        assert status == 200, body
    finally:
        run.terminate()
    status, took = await run.ended()
    assert status == 0 and took < 5, run.log
    assert "orderbot stopped" in run.log
    assert "Traceback" not in run.log and "will be unused" not in run.log


@pytest.mark.parametrize("moment", ["at once", "while importing", "while retrying Slack"])
async def test_sigterm_ends_serve_within_seconds_at_any_moment_of_start_up(
    env: dict[str, str], slack: SlackStandIn, moment: str
) -> None:
    async with slack.unreachable():
        run = await Serve.start(env)
        if moment == "while importing":
            await asyncio.sleep(0.3)
        elif moment == "while retrying Slack":
            await run.line("cannot reach Slack")
        run.terminate()
        status, took = await run.ended()
    assert took < 5, run.log
    # Before its handlers are installed the signal ends the process itself (-15); after, it
    # stops as it does when serving (0).
    assert status in (0, -signal.SIGTERM), run.log
    assert "Traceback" not in run.log


# --- ports ------------------------------------------------------------------------------------


@pytest.fixture
def taken_port() -> AsyncIterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


@pytest.mark.parametrize(
    ("variable", "flag", "socket_mode"),
    [
        ("ORDERBOT_PORT", False, False),
        ("--port", True, False),
        ("ORDERBOT_HEALTH_PORT", False, True),
    ],
)
async def test_a_port_in_use_is_one_line_naming_it(
    env: dict[str, str], taken_port: int, variable: str, flag: bool, socket_mode: bool
) -> None:
    env = {**env, "ORDERBOT_PORT": str(taken_port), "ORDERBOT_HEALTH_PORT": str(taken_port)}
    if not socket_mode:
        del env["SLACK_APP_TOKEN"]
    run = await Serve.start(env, *(["--port", str(taken_port)] if flag else []))
    status, _took = await run.ended()
    assert_one_line_failure(run, status, f"port {taken_port} is already in use ({variable})")


async def test_the_sandbox_on_a_port_in_use_says_so(env: dict[str, str], taken_port: int) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", str(taken_port),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert err.decode().strip() == (
        f"orderbot: port {taken_port} is already in use (--port): stop what listens there,"
        " or give --port a free port"
    )


# --- the database -----------------------------------------------------------------------------


def corrupt(path: Path) -> Path:
    db = open_db(path)
    db["meta"].insert_all([{"key": f"k{i}", "value": "v" * 200} for i in range(200)])
    db.close()
    with path.open("r+b") as file:  # the pages after the first: tables and indexes
        file.seek(4096)
        file.write(os.urandom(4096 * 3))
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp: Path("/proc/orderbot/orderbot.db"), "ORDERBOT_DB=/proc/orderbot/orderbot.db"),
        (lambda tmp: (tmp / "f").write_text("x") and tmp / "f" / "orderbot.db", "cannot create"),
        (lambda tmp: tmp, "that is a folder"),
        (
            lambda tmp: (
                (tmp / "notes.db").write_text("these are my notes\n" * 100) and tmp / "notes.db"
            ),
            "is not an SQLite database (ORDERBOT_DB=",
        ),
        (lambda tmp: corrupt(tmp / "orderbot.db"), "is corrupt"),
    ],
    ids=["under-proc", "under-a-file", "a-folder", "not-a-database", "corrupt"],
)
async def test_a_database_it_cannot_use_is_one_line_naming_it(
    env: dict[str, str], tmp_path: Path, make, says: str
) -> None:
    path = make(tmp_path)
    run = await Serve.start({**env, "ORDERBOT_DB": str(path)})
    status, _took = await run.ended()
    line = assert_one_line_failure(run, status, says, str(path))
    if says in ("is corrupt",):
        assert "restore it from a backup, or move it aside" in line
