"""The ``orderbot`` command line, run as a real process against the emulator over loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.sandbox.ingram import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    RunningSandbox,
    SandboxState,
    start_sandbox,
)
from bot.store import audit_log, open_db
from tests.test_config import SERVE_NEEDS

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    status: int
    out: str
    err: str


def sandbox_env(url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INGRAM_", "ORDERBOT_", "SLACK_"))
    }
    env.update(
        INGRAM_BASE_URL=url,
        INGRAM_SANDBOX="1",
        INGRAM_CLIENT_ID=SANDBOX_CLIENT_ID,
        INGRAM_CLIENT_SECRET=SANDBOX_CLIENT_SECRET,
        INGRAM_CUSTOMER_NUMBER="20-123456",
        INGRAM_COUNTRY="UK",
        ORDERBOT_IGNORE_WINDOWS="1",
        ORDERBOT_DB=str(tmp_path / "orderbot.db"),
    )
    env.update(extra)
    return env


async def orderbot(
    *args: str, env: dict[str, str], stdin: str | None = None, cwd: Path = ROOT
) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        process.communicate(stdin.encode() if stdin is not None else None), 60
    )
    return Run(process.returncode or 0, out.decode(), err.decode())


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(SandboxState())
    yield running
    await running.stop()


@pytest.fixture
def env(sandbox: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    return sandbox_env(sandbox.url, tmp_path)


async def test_lookup_prints_the_order_and_every_shipment(env: dict[str, str]) -> None:
    run = await orderbot("lookup", "20-RD12H", env=env)
    assert run.status == 0, run.err
    assert "Order 20-RD12H  PO CUSTPO" in run.out
    for line in ("20-RD12H-11", "HARD-9 CUST NOT FLOOR ORD", "20-RD12H-21", "20-RD12H-31"):
        assert line in run.out
    assert run.err == ""


async def test_lookup_of_a_shipment_marks_it(env: dict[str, str]) -> None:
    run = await orderbot("lookup", "20-RD12H-31", env=env)
    assert run.status == 0
    assert "> 20-RD12H-31" in run.out


async def test_lookup_by_po_as_json(env: dict[str, str]) -> None:
    run = await orderbot("lookup", "--po", "CUSTPO", "--json", env=env)
    assert run.status == 0, run.err
    data = json.loads(run.out)
    assert sorted(o["ordernumber"] for o in data) == ["20-LNK01", "20-RD12H", "20-RD47K"]
    credit = next(o for o in data if o["ordernumber"] == "20-RD12H")["suborders"][0]
    assert credit == {
        "subordernumber": "20-RD12H-11",
        "statuscode": "C",
        "status": "CREDIT HOLD",
        "holdreasoncode": "CH",
        "holdreason": "HARD-9 CUST NOT FLOOR ORD",
        "on_hold": True,
        "deleted": False,
    }
    lower = await orderbot("lookup", "--po", "custpo", env=env)
    assert lower.status == 1
    assert lower.err.strip() == (
        "orderbot: no order found with PO custpo (POs are matched exactly as entered, case"
        " included)"
    )


async def test_an_unknown_order_is_one_line_and_exit_1(env: dict[str, str]) -> None:
    run = await orderbot("lookup", "20-NOSUCH", env=env)
    assert (run.status, run.out, run.err.strip()) == (1, "", "orderbot: no order found 20-NOSUCH")


async def test_a_malformed_order_number_is_a_usage_error(env: dict[str, str]) -> None:
    run = await orderbot("lookup", "hello", env=env)
    assert run.status == 2
    assert "not an Ingram Micro order number" in run.err
    assert "Traceback" not in run.err


async def test_missing_configuration_names_the_variable(tmp_path: Path) -> None:
    env = sandbox_env("http://127.0.0.1:9", tmp_path)
    del env["INGRAM_CLIENT_ID"]
    run = await orderbot("lookup", "20-RD12H", env=env)
    assert run.status == 2
    assert run.err.strip() == (
        "orderbot: INGRAM_CLIENT_ID is not set: set it to the App ID of your Ingram Micro app"
    )


async def test_serve_names_every_missing_variable_in_one_run(tmp_path: Path) -> None:
    env = {k: v for k, v in sandbox_env("http://x", tmp_path).items() if not k.startswith("INGRAM")}
    run = await orderbot("serve", env={**env, "ORDERBOT_LOG_FORMAT": "xml"})
    assert run.status == 2
    lines = run.err.strip().splitlines()
    assert [line.split()[1].split("=")[0] for line in lines] == [
        *SERVE_NEEDS,
        "ORDERBOT_LOG_FORMAT",
    ]
    assert all(line.startswith("orderbot: ") for line in lines)


async def test_rejected_credentials_exit_3_and_name_the_variables(env: dict[str, str]) -> None:
    env["INGRAM_CLIENT_SECRET"] = "wrong"
    run = await orderbot("lookup", "20-RD12H", env=env)
    assert run.status == 3
    assert "INGRAM_CLIENT_ID and INGRAM_CLIENT_SECRET" in run.err
    assert "wrong" not in run.err.replace("went wrong", "")
    assert len(run.err.strip().splitlines()) == 1


async def test_delete_with_yes_deletes_and_audits(env: dict[str, str], tmp_path: Path) -> None:
    run = await orderbot("delete", "20-11852", "--yes", env=env)
    assert run.status == 0, run.err
    assert "20-11852: deleted." in run.out
    (row,) = audit_log(open_db(tmp_path / "orderbot.db"), 10)[:1]
    assert (row.action, row.ordernumber, row.outcome) == ("delete_confirm", "20-11852", "deleted")
    again = await orderbot("delete", "20-11852", "--yes", env=env)
    assert again.status == 1
    assert "already deleted" in again.err


async def test_delete_as_json(env: dict[str, str]) -> None:
    run = await orderbot("delete", "20-11852", "--yes", "--json", env=env)
    assert json.loads(run.out)["outcome"] == "deleted"


@pytest.mark.parametrize(
    ("number", "reason", "says"),
    [
        ("20-REL01", "not_deletable", "cannot be deleted"),
        ("20-DEL01", "already_deleted", "already deleted"),
        ("20-NOPE1", "not_found", "20-NOPE1"),
    ],
)
async def test_a_refused_delete_as_json_is_json_too(
    env: dict[str, str], sandbox: RunningSandbox, number: str, reason: str, says: str
) -> None:
    run = await orderbot("delete", number, "--yes", "--json", env=env)
    assert run.status == 1
    data = json.loads(run.out)
    assert (data["ordernumber"], data["outcome"], data["reason"]) == (number, "refused", reason)
    assert says in data["message"] and run.err == ""
    assert sandbox.state.delete_calls == 0


async def test_delete_of_a_released_order_is_refused_without_a_delete(
    env: dict[str, str], sandbox: RunningSandbox
) -> None:
    run = await orderbot("delete", "20-REL01", "--yes", env=env)
    assert run.status == 1
    assert "cannot be deleted" in run.err and "released" in run.err
    assert sandbox.state.delete_calls == 0


async def test_delete_asks_first_and_no_means_no(
    env: dict[str, str], sandbox: RunningSandbox
) -> None:
    # Not a terminal: without --yes the command refuses rather than guessing.
    run = await orderbot("delete", "20-11852", env=env, stdin="y\n")
    assert run.status == 2
    assert "--yes" in run.err
    assert sandbox.state.delete_calls == 0


async def test_rules_check_accepts_the_shipped_rules(env: dict[str, str]) -> None:
    run = await orderbot("rules", "check", env=env)
    assert run.status == 0, run.err
    assert "all valid" in run.out


async def test_rules_check_names_file_rule_and_field(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - name: credit\n    on: hold_placed\n    match:\n      holdreasoncode: [C9]\n"
        "    channel: '#credit'\n"
    )
    run = await orderbot("rules", "check", str(bad), env=env)
    assert run.status == 2
    assert str(bad) in run.err and '"credit"' in run.err and "holdreasoncode" in run.err
    assert "C3" in run.err  # the nearest valid code


async def test_the_standalone_sandbox_serves_the_cli(tmp_path: Path) -> None:
    # Port 0: the sandbox takes a free port itself and prints its URL.
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", "0",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 20)).decode()
        url = re.search(r"sandbox on (http://127\.0\.0\.1:\d+)", line).group(1)
        assert not url.endswith(":8080")  # --port was obeyed: 0 is a free port, not the default
        assert "ORDERBOT_IGNORE_WINDOWS=1" in line  # README's lookup needs it outside UK hours
        run = await orderbot("lookup", "20-RD12H", env=sandbox_env(url, tmp_path))
        assert run.status == 0, run.err
    finally:
        server.terminate()
        await server.wait()


async def test_health_without_a_server_says_so(tmp_path: Path) -> None:
    env = sandbox_env("http://127.0.0.1:9", tmp_path, ORDERBOT_PORT="9")
    run = await orderbot("health", env=env)
    assert run.status == 1
    assert "is orderbot serve running?" in run.err


async def test_rules_schema_prints_json_and_a_closed_pipe_is_no_traceback(
    env: dict[str, str],
) -> None:
    run = await orderbot("rules", "schema", env=env)
    assert run.status == 0, run.err
    assert json.loads(run.out)["definitions"]["rule"]["required"] == ["name", "on", "channel"]
    # `orderbot rules schema | head -1`: the reader goes away before orderbot has written it all.
    read_end, write_end = os.pipe()
    os.close(read_end)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "rules", "schema",
        env=env, cwd=ROOT, stdout=write_end, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    os.close(write_end)
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, err.decode()) == (0, "")
