"""``orderbot poll --once`` as a real process: one poll, its alerts delivered, a clear exit."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import utc_now
from bot.sandbox.ingram import Fault
from bot.store import due_outbox, open_db
from tests.cli.test_cli import ROOT, Run


async def poll(env: dict[str, str]) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "poll", "--once", "--delivery-timeout", "0.5",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return Run(process.returncode or 0, out.decode(), err.decode())


async def test_first_poll_is_a_baseline_then_changes_are_posted(world) -> None:
    ingram, slack, env = world
    first = await poll(env)
    assert first.status == 0, first.err
    assert "poll ok (baseline: no alerts on a first poll)" in first.out
    assert "2 Ingram calls" in first.out  # 150 orders: ceil(150 / 100)
    assert slack.calls_to("chat.postMessage") == []

    ingram.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    second = await poll(env)
    assert second.status == 0, second.err
    assert "1 alerts; delivered 1" in second.out
    (post,) = slack.calls_to("chat.postMessage")
    message = slack.messages[-1]
    assert message.channel_name == "credit-alerts"
    assert "20-RD12H-21" in message.text
    assert post.ok


async def test_ingram_down_is_a_clear_failure_and_loses_nothing(world) -> None:
    ingram, _slack, env = world
    assert (await poll(env)).status == 0  # baseline
    ingram.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    ingram.state.faults.add(Fault(status=503, times=0))
    failed = await poll(env)
    assert failed.status == 3
    assert "Ingram could not be read" in failed.err and "503" in failed.err
    assert "Traceback" not in failed.err
    ingram.state.faults.clear()
    recovered = await poll(env)  # the change made while Ingram was down is still found
    assert recovered.status == 0, recovered.err
    assert "delivered 1" in recovered.out


async def test_slack_down_keeps_the_alert_for_the_next_run(world) -> None:
    ingram, slack, env = world
    assert (await poll(env)).status == 0
    ingram.state.set_suborder("20-SH001-11", statuscode="", holdreasoncode="")
    slack.down = True
    run = await poll(env)
    assert run.status == 0
    assert "1 still waiting in the outbox (kept for the next run)" in run.out
    slack.down = False
    (waiting,) = due_outbox(open_db(env["ORDERBOT_DB"]), utc_now() + timedelta(hours=1))
    await asyncio.sleep((waiting.next_attempt_at - utc_now()).total_seconds() + 0.1)  # backoff
    again = await poll(env)
    assert "delivered 1" in again.out
    (message,) = [m for m in slack.messages if m.kind == "post"]
    assert message.channel_name == "order-alerts"
    assert "20-SH001-11" in message.text


@pytest.mark.parametrize("command", [["poll", "--once"], ["serve"]])
async def test_invalid_rules_refuse_to_start_with_the_rules_check_message(
    world, tmp_path: Path, command: list[str]
) -> None:
    _ingram, _slack, env = world
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    on: hold_placd\n    channel: '#a'\n")
    env = {**env, "ORDERBOT_RULES": str(bad), "SLACK_SIGNING_SECRET": "s", "ORDERBOT_PORT": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *command,
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "invalid rules, not starting" in err.decode()
    assert (
        f'{bad}: rule "x": on: unknown event "hold_placd" (did you mean "hold_placed"?)'
        in err.decode()
    )
