"""``orderbot rules test`` and ``rules replay`` run as real processes; replay reads a database
made by real polls over the Ingram emulator."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import orderbot, sandbox_env

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = str(ROOT / "rules")

CREDIT_WITH_MENTION = """\
rules:
  - name: credit
    on: hold_placed
    match:
      holdreasoncode: [C3, C4]
    channel: "#credit-alerts"
    message: "Credit hold on {subordernumber} (PO {customerordernumber}): {holdreason}"
    mention: [U0CREDIT1, S0CREDITS]
  - name: everything-placed
    on: hold_placed
    channel: "#order-alerts"
"""


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return sandbox_env("http://127.0.0.1:9", tmp_path, **extra)  # rules test calls nobody


async def test_rules_test_prints_each_matching_rule_and_exits_0(tmp_path: Path) -> None:
    run = await orderbot(
        "rules", "test", "hold_placed", "holdreasoncode=C3", "subordernumber=20-RD12H-21",
        env=env_for(tmp_path, ORDERBOT_RULES=SHIPPED),
    )  # fmt: skip
    assert run.status == 0, run.err
    assert run.out.splitlines() == [
        f"hold_placed 20-RD12H-21: 1 of 4 rules in {SHIPPED}/ matches",
        f"credit-holds -> #credit-alerts ({SHIPPED}/credit-holds.yaml)",
        "  Credit hold on 20-RD12H-21 (PO ): C3 Credit hold",
    ]
    assert run.err == ""


async def test_rules_test_with_rules_of_its_own_and_json(tmp_path: Path) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text(CREDIT_WITH_MENTION, encoding="utf-8")
    run = await orderbot(
        "rules", "test", "hold_placed", "holdreasoncode=c4", "customerordernumber=<@U0EVIL00>",
        "--rules", str(rules), "--json", env=env_for(tmp_path),
    )  # fmt: skip
    assert run.status == 0, run.err
    data = json.loads(run.out)
    assert data["event"]["holdreasoncode"] == "C4" and data["event"]["holdreason"] == "Credit hold"
    assert [(m["rule"], m["channel"]) for m in data["matches"]] == [
        ("credit", "#credit-alerts"),
        ("everything-placed", "#order-alerts"),
    ]
    assert data["matches"][0]["message"] == (
        "<@U0CREDIT1> <!subteam^S0CREDITS> Credit hold on  (PO &lt;@U0EVIL00&gt;): Credit hold"
    )


async def test_rules_test_without_a_match_says_why_and_exits_1(tmp_path: Path) -> None:
    run = await orderbot(
        "rules", "test", "hold_placed", "holdreasoncode=IM",
        env=env_for(tmp_path, ORDERBOT_RULES=SHIPPED),
    )  # fmt: skip
    assert run.status == 1, run.err
    assert run.out.splitlines() == [
        f"hold_placed: none of 4 rules in {SHIPPED}/ matches",
        '  credit-holds: holdreasoncode is "IM", not one of C3, C4, C5, C8, CC, CH, CL, PC, PD',
        '  sales-holds: holdreasoncode is "IM", not one of S2, SH',
    ]
    run = await orderbot(
        "rules", "test", "suborder_added", env=env_for(tmp_path, ORDERBOT_RULES=SHIPPED)
    )
    assert run.status == 1 and "no rule is on suborder_added" in run.out


async def test_rules_test_names_the_nearest_event_or_field_and_exits_2(tmp_path: Path) -> None:
    env = env_for(tmp_path, ORDERBOT_RULES=SHIPPED)
    run = await orderbot("rules", "test", "hold_place", "holdreasoncode=C3", env=env)
    assert (run.status, run.out) == (2, "")
    assert run.err == 'orderbot: unknown event "hold_place" (did you mean "hold_placed"?)\n'
    run = await orderbot("rules", "test", "hold_placed", "previous_holdcode=C3", env=env)
    assert run.status == 2
    assert run.err == (
        'orderbot: unknown field "previous_holdcode" (did you mean "previous_holdreasoncode"?)\n'
    )


async def test_rules_test_on_invalid_rules_says_what_rules_check_says(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CREDIT_WITH_MENTION.replace("[C3, C4]", "[C9]"), encoding="utf-8")
    check = await orderbot("rules", "check", str(bad), env=env_for(tmp_path))
    run = await orderbot("rules", "test", "hold_placed", "--rules", str(bad), env=env_for(tmp_path))
    assert (run.status, check.status) == (2, 2)
    assert run.err == check.err
    assert 'rule "credit": match.holdreasoncode: unknown hold reason code "C9"' in run.err
    assert "Traceback" not in run.err
