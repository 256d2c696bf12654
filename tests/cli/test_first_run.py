"""What a person who installed orderbot from a wheel runs first, as real processes started
outside the checkout: the Slack manifest, the example rules, the demo on them, and the one
line ``serve`` and ``poll`` say when there are no rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.shipped import example_rules
from tests.cli.test_cli import ROOT, orderbot, sandbox_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return sandbox_env("http://127.0.0.1:9", tmp_path)


async def test_manifest_prints_the_app_manifest(env: dict[str, str], tmp_path: Path) -> None:
    run = await orderbot("manifest", env=env, cwd=tmp_path)
    assert run.status == 0, run.err
    assert run.out == (ROOT / "manifest.yaml").read_text()


async def test_rules_init_writes_the_examples_and_never_overwrites(
    env: dict[str, str], tmp_path: Path
) -> None:
    run = await orderbot("rules", "init", env=env, cwd=tmp_path)
    assert run.status == 0, run.err
    assert "wrote 3 example rules to rules/" in run.out
    for name, text in example_rules().items():
        assert (tmp_path / "rules" / name).read_text() == text
        assert text == (ROOT / "rules" / name).read_text()
    check = await orderbot("rules", "check", env=env, cwd=tmp_path)
    assert (check.status, check.out.strip()) == (0, "rules/: 4 rules, all valid"), check.err

    mine = tmp_path / "rules" / "credit-holds.yaml"
    mine.write_text("rules: []\n")
    again = await orderbot("rules", "init", env=env, cwd=tmp_path)
    assert again.status == 1
    assert again.err.strip().splitlines() == [
        f"orderbot: {Path('rules') / 'credit-holds.yaml'} already exists; nothing was written"
        " (orderbot never overwrites rules): move it aside, or give another folder"
    ]
    assert mine.read_text() == "rules: []\n"


async def test_rules_init_into_a_given_folder_or_a_bad_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    run = await orderbot("rules", "init", str(tmp_path / "deep" / "alerts"), env=env)
    assert run.status == 0, run.err
    assert sorted(p.name for p in (tmp_path / "deep" / "alerts").iterdir()) == sorted(
        example_rules()
    )
    (tmp_path / "file").write_text("x")
    for folder in (tmp_path / "file", Path("/proc/orderbot-rules")):
        bad = await orderbot("rules", "init", str(folder), env=env)
        assert bad.status == 2, bad.err
        assert len(bad.err.strip().splitlines()) == 1 and str(folder) in bad.err


@pytest.mark.parametrize("command", [["poll", "--once"], ["serve"], ["rules", "check"]])
async def test_no_rules_anywhere_is_one_line_naming_rules_init_and_the_variable(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    run = await orderbot(*command, env=env, cwd=tmp_path)
    assert run.status == 2
    (line,) = run.err.strip().splitlines()
    assert "ORDERBOT_RULES is not set and there is no rules/ folder in" in line
    assert "`orderbot rules init`" in line


async def test_the_demo_uses_the_shipped_rules_from_anywhere_unless_told(
    env: dict[str, str], tmp_path: Path
) -> None:
    run = await orderbot("demo", env=env, cwd=tmp_path, stdin="20-RD12H\n")
    assert run.status == 0, run.err
    assert "4 rules post to #credit-alerts, #order-alerts, #sales-alerts" in run.out
    assert "• 20-RD12H-11  C CREDIT HOLD · ⛔ hold CH" in run.out
    assert "\x1b" not in run.out  # piped: plain text, not one escape sequence

    mine = tmp_path / "mine.yaml"
    mine.write_text("rules:\n  - name: mine\n    on: hold_placed\n    channel: '#mine'\n")
    told = await orderbot("demo", env={**env, "ORDERBOT_RULES": str(mine)}, cwd=tmp_path, stdin="")
    assert told.status == 0, told.err
    assert "1 rules post to #mine" in told.out
    flag = await orderbot(
        "demo", "--rules", str(ROOT / "rules" / "releases.yaml"), env=env, stdin=""
    )
    assert "1 rules post to #order-alerts" in flag.out, flag.err
