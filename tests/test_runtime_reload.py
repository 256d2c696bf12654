"""``orderbot serve`` reloading its rules, as a real process over the emulators: a rule added,
then a broken file (refused, the good rules stay), then a fixed one; SIGHUP."""

from __future__ import annotations

import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.sandbox.ingram import RunningSandbox, SandboxState, start_sandbox
from bot.sandbox.slack import SlackStandIn
from bot.watch.rules_loading import check_rules
from tests.test_startup import Serve, serve_env

CREDIT = """\
rules:
  - name: credit
    on: hold_placed
    match:
      holdreasoncode: [C3, C4]
    channel: "#credit-alerts"
    message: "Credit hold on {subordernumber}: {holdreasoncode}"
"""
SALES = """\
rules:
  - name: sales
    on: hold_placed
    match:
      holdreasoncode: [SH]
    channel: "#sales-alerts"
    message: "Sales hold on {subordernumber}"
"""


@pytest_asyncio.fixture
async def ingram() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(SandboxState(rate_limit=100_000))
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn()
    await standin.start()
    yield standin
    await standin.stop()


async def test_serve_reloads_rules_refuses_broken_ones_and_takes_the_fix(
    ingram: RunningSandbox, slack: SlackStandIn, tmp_path: Path
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "credit.yaml").write_text(CREDIT, encoding="utf-8")
    env = serve_env(
        ingram,
        slack,
        tmp_path,
        SLACK_SIGNING_SECRET="reload-secret",
        ORDERBOT_RULES=str(folder),
        ORDERBOT_RULES_CHECK="0.2",
        ORDERBOT_POLL_INTERVAL="0.5",
        INGRAM_RATE_LIMIT="100000",
    )
    serve = await Serve.start(env)
    try:
        await serve.line(r"orderbot serving .* 1 rules\)")
        await serve.line(r"poll \d+ ok \(baseline")

        # A rule added: loaded, and used from the next poll on.
        (folder / "sales.yaml").write_text(SALES, encoding="utf-8")
        await serve.line(rf"rules reloaded: 2 rules from {folder}/ \(the files changed\)")
        ingram.state.set_suborder("20-RD12H-21", statuscode="S", holdreasoncode="SH")
        sales = await slack.wait_for(lambda m: "Sales hold on 20-RD12H-21" in m.text, timeout=15)
        assert sales.channel == slack.channel_id("sales-alerts")

        # A broken file: refused with the lines of rules check; the good rules stay.
        (folder / "credit.yaml").write_text(CREDIT.replace("C4]", "C9]"), encoding="utf-8")
        (problem,) = check_rules(folder)
        await serve.line(r"rules refused: 1 problem\(s\) in .*; the 2 rules loaded at .* stay")
        await serve.line("rules refused: " + re.escape(problem))
        ingram.state.set_suborder("20-RD47K-11", statuscode="C", holdreasoncode="C4")
        await slack.wait_for(lambda m: "Credit hold on 20-RD47K-11: C4" in m.text, timeout=15)

        # Fixed, to another channel: that is where the next alert goes.
        fixed = CREDIT.replace("C4]", "CH]").replace("#credit-alerts", "#credit-team")
        (folder / "credit.yaml").write_text(fixed, encoding="utf-8")
        await serve.line(rf"rules reloaded: 2 rules from {folder}/ \(the files changed\)")
        ingram.state.set_suborder("20-RD47K-21", statuscode="C", holdreasoncode="C3")
        team = await slack.wait_for(lambda m: "Credit hold on 20-RD47K-21" in m.text, timeout=15)
        assert team.channel == slack.channel_id("credit-team")

        # SIGHUP reloads them, changed or not; the process goes on.
        serve.process.send_signal(signal.SIGHUP)
        await serve.line(rf"rules reloaded: 2 rules from {folder}/ \(SIGHUP\)")
        assert serve.process.returncode is None
    finally:
        serve.terminate()
        status, _took = await serve.ended()
    assert status == 0, serve.log
    assert "Traceback" not in serve.log
