"""README.md is the front door: its commands must work as written, its table must be true.

Every shell command the README shows is run here (or, for Docker, which needs an engine CI
does not have, checked through the Dockerfile tests), and ``test_every_readme_command_is_
exercised`` fails when the README gains a command nobody runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import httpx
import yaml
from jsonschema import Draft7Validator

from bot.config import VARIABLES
from bot.sandbox.ingram import SandboxState, start_sandbox
from bot.sandbox.slack import SlackStandIn
from bot.store import open_db
from bot.watch.rules_keys import RULE_KEYS
from bot.watch.rules_loading import RulesLoader
from bot.watch.rules_schema import rules_schema
from tests.cli.test_rules import make_polled_db

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent


def shell_commands() -> list[str]:
    """Every command line of the README's ```sh blocks (continuations joined)."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = " ".join(command.split())
            if command:
                commands.append(command)
    return commands


def text_block_after(marker: str) -> str:
    """The ```text block that follows ``marker`` in the README."""
    tail = README[README.index(marker) :]
    return re.search(r"```text\n(.*?)```", tail, re.S).group(1)


FIRST_RUN = "cli/test_first_run.py"

#: README command -> the test that runs it (or proves it, when it cannot run here).
EXERCISED = {
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]'": (
        "test_ci_installs_and_tests_as_the_readme_says"
    ),
    "pytest": "test_ci_installs_and_tests_as_the_readme_says",
    "orderbot demo": "test_the_demo_command_on_embedded_defaults",
    "printf '/order delete 20-11852\\npress Delete order\\n/order delete 20-REL01\\n' | "
    "orderbot demo": "test_the_piped_demo_prints_what_the_readme_shows",
    "orderbot serve": "test_serve_starts_answers_healthz_and_stops_on_sigterm",
    # A wheel-installed orderbot, outside the checkout: CI's packaging job runs these (and
    # the first-run tests run each command from another directory).
    "pip install orderbot-0.1.0-py3-none-any.whl": "test_ci_installs_the_wheel_outside_checkout",
    "orderbot rules init": f"{FIRST_RUN}::test_rules_init_writes_the_examples_and_never_overwrites",
    "orderbot manifest > manifest.yaml": f"{FIRST_RUN}::test_manifest_prints_the_app_manifest",
    "orderbot rules check rules/": "test_rules_check_prints_what_the_readme_shows",
    "orderbot rules schema > rules.schema.json": "test_the_rules_schema_command_writes_the_schema",
    "orderbot rules replay --since 7d": "test_rules_replay_prints_what_the_readme_shows",
    "orderbot rules test hold_placed holdreasoncode=C3 subordernumber=20-RD12H-21": (
        "test_rules_test_prints_what_the_readme_shows"
    ),
    "orderbot backup orderbot-backup.db": "test_the_backup_command_as_the_readme_shows",
    "orderbot sandbox --port 8080 &": "test_the_sandbox_and_lookup_commands",
    "INGRAM_BASE_URL=http://127.0.0.1:8080 INGRAM_SANDBOX=1 INGRAM_CLIENT_ID=orderbot-sandbox "
    "INGRAM_CLIENT_SECRET=sandbox-secret INGRAM_CUSTOMER_NUMBER=20-123456 INGRAM_COUNTRY=UK "
    "ORDERBOT_IGNORE_WINDOWS=1 orderbot lookup 20-RD12H": "test_the_sandbox_and_lookup_commands",
    # No Docker engine here or in CI: hadolint and the Dockerfile's promises are tested.
    "docker build -t orderbot .": "test_quality.py::test_the_dockerfile_keeps_its_promises",
    "docker run -d --name orderbot --env-file orderbot.env -v orderbot-data:/data orderbot": (
        "test_quality.py::test_hadolint_passes_the_dockerfile"
    ),
}


def test_every_readme_command_is_exercised() -> None:
    tests = {name for name in globals() if name.startswith("test_")}
    for command in shell_commands():
        assert command in EXERCISED, f"README shows {command!r}, which no test runs"
        test = EXERCISED[command]
        if "::" in test:
            file, name = test.split("::")
            assert f"def {name}(" in (ROOT / "tests" / file).read_text(), test
        else:
            assert test in tests, test


def test_the_configuration_table_is_every_variable() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.*?) \| (.*?) \|$", README, re.M)
    assert [(n, d, m) for n, d, m in rows] == [(v.name, v.default, v.meaning) for v in VARIABLES]


def test_the_rules_keys_table_is_the_validators_table() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| (yes|no) \| (.*?) \|$", README, re.M)
    assert rows == [(k.name, "yes" if k.required else "no", k.summary) for k in RULE_KEYS]


def test_ci_installs_and_tests_as_the_readme_says() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci
    assert ci.strip().splitlines()[-1] == "python -m pytest"
    assert "[tool.pytest.ini_options]" in (ROOT / "pyproject.toml").read_text()


def test_ci_installs_the_wheel_outside_checkout() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "python .ci/packaging.py" in ci  # before the tests: see .ci/packaging.py
    packaging = (ROOT / ".ci" / "packaging.py").read_text()
    version = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert f"orderbot-{version.group(1)}-py3-none-any.whl" in README
    for step in ("venv.create", "orderbot --help", "orderbot manifest", "orderbot rules init"):
        assert step in packaging
    assert "orderbot rules check" in packaging and "| orderbot demo" in packaging


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INGRAM_", "ORDERBOT_", "SLACK_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


async def _shell(command: str, env: dict[str, str], cwd: Path = ROOT) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_shell(
        command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        executable="/bin/bash",
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def _serving_port(process: asyncio.subprocess.Process, lines: list[str]) -> int:
    """The port ``orderbot serve`` logs once it listens; its log lines until then go to
    ``lines``."""
    assert process.stderr is not None
    while line := (await process.stderr.readline()).decode():
        lines.append(line)
        if found := re.search(r"orderbot serving .*/healthz on port (\d+)", line):
            return int(found.group(1))
    raise AssertionError("orderbot serve did not start listening:\n" + "".join(lines))


def _mask_times(text: str) -> str:
    text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?", "<time>", text)
    return re.sub(r"until \d{2}:\d{2} UTC", "until <time>", text)


async def test_the_demo_command_on_embedded_defaults() -> None:
    status, out, err = await _shell("orderbot demo", _env())  # stdin is empty: ends at once
    assert status == 0, err
    assert "orderbot demo: nothing here talks to Slack or Ingram Micro." in out


async def test_the_piped_demo_prints_what_the_readme_shows() -> None:
    command = next(c for c in shell_commands() if c.startswith("printf"))
    status, out, err = await _shell(command, _env())
    assert status == 0, err
    expected = text_block_after(command)
    assert _mask_times(expected.strip()) in _mask_times(out)


async def test_rules_check_prints_what_the_readme_shows() -> None:
    status, out, err = await _shell("orderbot rules check rules/", _env())
    assert status == 0, err
    assert out.strip() == text_block_after("orderbot rules check rules/").strip()


async def test_rules_test_prints_what_the_readme_shows() -> None:
    command = next(c for c in shell_commands() if c.startswith("orderbot rules test"))
    status, out, err = await _shell(command, _env())
    assert status == 0, err
    assert out.strip() == text_block_after(command).strip()


async def test_rules_replay_prints_what_the_readme_shows(tmp_path: Path) -> None:
    db = await make_polled_db(tmp_path)  # real polls over the emulator
    command = "orderbot rules replay --since 7d"
    status, out, err = await _shell(command, _env(ORDERBOT_DB=str(db)))
    assert status == 0, err
    assert _mask_times(out.strip()) == _mask_times(text_block_after(command).strip())


async def test_the_rules_schema_command_writes_the_schema(tmp_path: Path) -> None:
    status, out, err = await _shell("orderbot rules schema > rules.schema.json", _env(), tmp_path)
    assert (status, out, err) == (0, "", "")
    schema = json.loads((tmp_path / "rules.schema.json").read_text(encoding="utf-8"))
    assert schema == rules_schema()
    marker = "# yaml-language-server: $schema=../rules.schema.json"
    assert f"`{marker}`" in README
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=RulesLoader)  # noqa: S506
        Draft7Validator(schema).validate(data)


async def test_the_backup_command_as_the_readme_shows(tmp_path: Path) -> None:
    command = next(c for c in shell_commands() if c.startswith("orderbot backup"))
    db = tmp_path / "orderbot.db"
    open_db(db).close()
    status, out, err = await _shell(command, _env(ORDERBOT_DB=str(db)), tmp_path)
    assert status == 0, err
    assert "To restore it: stop orderbot" in out
    assert open_db(tmp_path / "orderbot-backup.db").table_names()


async def test_the_sandbox_and_lookup_commands() -> None:
    sandbox, lookup = [c for c in shell_commands() if "8080" in c]
    env = _env()
    # Port 0: the sandbox takes a free port itself and prints its URL (a port picked here could
    # be taken by another process before the sandbox binds it).
    server = await asyncio.create_subprocess_shell(
        sandbox.rstrip("&").replace("8080", "0"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        executable="/bin/bash",
    )
    try:
        assert server.stdout is not None
        first = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        port = re.search(r"sandbox on http://127\.0\.0\.1:(\d+)", first).group(1)
        status, out, err = await _shell(lookup.replace("8080", port), env)
        assert status == 0, err
        expected = text_block_after("orderbot lookup 20-RD12H\n```")
        assert _mask_times(out.strip()) == _mask_times(expected.strip())
    finally:
        server.send_signal(signal.SIGTERM)
        await server.wait()


async def test_serve_starts_answers_healthz_and_stops_on_sigterm(tmp_path: Path) -> None:
    ingram = await start_sandbox(SandboxState())
    slack = SlackStandIn()
    await slack.start()
    env = _env(
        INGRAM_BASE_URL=ingram.url,
        INGRAM_SANDBOX="1",
        INGRAM_CLIENT_ID="orderbot-sandbox",
        INGRAM_CLIENT_SECRET="sandbox-secret",
        INGRAM_CUSTOMER_NUMBER="20-123456",
        INGRAM_COUNTRY="UK",
        ORDERBOT_IGNORE_WINDOWS="1",
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET="readme-secret",
        SLACK_API_URL=slack.api_url,
        ORDERBOT_DB=str(tmp_path / "orderbot.db"),
        ORDERBOT_PORT="0",  # serve takes a free port itself and logs it
        ORDERBOT_POLL_INTERVAL="3600",
    )
    process = await asyncio.create_subprocess_shell(
        "orderbot serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        executable="/bin/bash",
    )
    started: list[str] = []
    try:
        port = await asyncio.wait_for(_serving_port(process, started), 30)
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["ok"] is True
        status, out, _err = await _shell("orderbot health", {**env, "ORDERBOT_PORT": str(port)})
        assert status == 0 and '"ok": true' in out
    finally:
        process.send_signal(signal.SIGTERM)
        _out, rest = await asyncio.wait_for(process.communicate(), 30)
        await slack.stop()
        await ingram.stop()
    err = "".join(started) + rest.decode()
    assert process.returncode == 0, err
    assert "orderbot stopped" in err
