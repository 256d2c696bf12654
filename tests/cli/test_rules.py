"""``orderbot rules test`` and ``rules replay`` run as real processes; replay reads a database
made by real polls over the Ingram emulator."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock, utc_now
from bot.ingram import IngramClient, RetryPolicy
from bot.sandbox.ingram import (
    SANDBOX_CUSTOMER,
    SandboxState,
    SeedOrder,
    build_seed,
    start_sandbox,
    sub,
)
from bot.sandbox.world import sandbox_ingram_settings
from bot.store import AsyncStore
from bot.watch.poller import Poller
from bot.watch.rules_loading import load_rules
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


# --- rules replay, over a database made by real polls -------------------------------------------


async def make_polled_db(tmp_path: Path) -> Path:
    """A database four real polls over the emulator wrote, ending two hours ago: a baseline
    (3 days ago); a credit hold on 20-RD12H-21 and a new order arriving on sales hold (50 h
    ago); that hold released and six new shipments on credit hold (26 h ago); a credit hold on
    20-RD12H-21 again (2 h ago)."""
    clock = ManualClock(utc_now() - timedelta(days=3))
    ingram = await start_sandbox(SandboxState(clock=clock, orders=build_seed(clock())))
    store = await AsyncStore.open(tmp_path / "orderbot.db")
    settings = sandbox_ingram_settings(ingram.url, windows_enforced=False)
    client = IngramClient(settings, clock=clock, retry=RetryPolicy(attempts=2, base=0.01, cap=0.02))
    try:
        poller = Poller(client, store, load_rules(ROOT / "rules"), interval=0, clock=clock)
        assert (await poller.poll_once()).baseline
        clock.advance(hours=22)
        ingram.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
        ingram.state.add_order(
            SeedOrder("20-NEW01", SANDBOX_CUSTOMER, "UK", clock(), "PO-NEW",
                      [sub("20-NEW01-11", "S", "SH")])
        )  # fmt: skip
        assert (await poller.poll_once()).events == 4
        clock.advance(hours=24)
        ingram.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="")
        ingram.state.add_order(
            SeedOrder("20-BULK1", SANDBOX_CUSTOMER, "UK", clock(), "PO-BULK",
                      [sub(f"20-BULK1-{n}1", "C", "C4") for n in range(1, 7)])
        )  # fmt: skip
        assert (await poller.poll_once()).events == 14
        clock.advance(hours=24)
        ingram.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C4")
        assert (await poller.poll_once()).events == 2
    finally:
        await client.aclose()
        await store.close()
        await ingram.stop()
    return tmp_path / "orderbot.db"


def table_rows(out: str) -> dict[str, list[str]]:
    """The replay's table, by rule: channel and the counts."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("RULE"))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rule, *rest = line.split()
        rows[rule] = rest
    return rows


def counts(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("events", "outbox", "polls")
        )
    finally:
        conn.close()


async def test_rules_replay_counts_what_each_rule_would_have_posted(tmp_path: Path) -> None:
    db = await make_polled_db(tmp_path)
    before = counts(db)
    env = env_for(tmp_path, ORDERBOT_DB=str(db), ORDERBOT_RULES=SHIPPED)
    run = await orderbot("rules", "replay", env=env)
    assert run.status == 0, run.err
    assert run.out.splitlines()[0].startswith("20 events of 4 polls since ")
    assert run.out.splitlines()[0].endswith(
        f"(7d) through the 4 rules in {SHIPPED}/; nothing was posted"
    )
    # MESSAGES ALERTS DIGESTS IN-THREADS EVENTS
    assert table_rows(run.out) == {
        "credit-holds": ["#credit-alerts", "3", "2", "1", "1", "8"],
        "sales-holds": ["#sales-alerts", "1", "1", "0", "0", "1"],
        "sales-hold-status": ["#sales-alerts", "0", "0", "0", "0", "0"],
        "releases": ["#order-alerts", "1", "1", "0", "0", "1"],
    }
    credit = run.out[run.out.index("credit-holds -> #credit-alerts: the first 3 of 3") :]
    first, digest, threaded = credit.splitlines()[1:4]
    assert first.split(maxsplit=4)[3:] == [
        "alert",
        "Credit hold on 20-RD12H-21 (PO CUSTPO): C3 CREDIT HOLD",
    ]
    assert "digest" in digest and "6 changes for rule credit-holds" in digest
    assert "thread" in threaded and "20-RD12H-21" in threaded and "C4" in threaded
    assert counts(db) == before  # posts nothing, writes nothing


async def test_rules_replay_of_other_rules_a_shorter_window_and_json(tmp_path: Path) -> None:
    db = await make_polled_db(tmp_path)
    rules = tmp_path / "mine.yaml"
    rules.write_text(CREDIT_WITH_MENTION, encoding="utf-8")
    env = env_for(tmp_path, ORDERBOT_DB=str(db))
    run = await orderbot("rules", "replay", "--rules", str(rules), "--json", env=env)
    assert run.status == 0, run.err
    data = json.loads(run.out)
    assert (data["polls"], data["events"], data["window"]) == (4, 20, "7d")
    shares = {r["rule"]: r for r in data["rules"]}
    # credit: C3 (50 h), the digest of six C4 (26 h), C4 again (2 h) in the first one's thread.
    assert [(m["kind"], m["in_thread"]) for m in shares["credit"]["first"]] == [
        ("alert", False),
        ("digest", False),
        ("alert", True),
    ]
    assert shares["credit"]["first"][0]["text"].startswith("<@U0CREDIT1> <!subteam^S0CREDITS>")
    # everything-placed: C3 and the new SH (one poll), six C4 (a digest), C4 again.
    assert (shares["everything-placed"]["messages"], shares["everything-placed"]["events"]) == (
        4,
        9,
    )

    recent = await orderbot("rules", "replay", "--since", "1d", "--rules", str(rules), env=env)
    assert recent.status == 0, recent.err
    assert recent.out.startswith("2 events of 1 poll since ")
    assert table_rows(recent.out)["credit"] == ["#credit-alerts", "1", "1", "0", "0", "1"]


async def test_rules_replay_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    env = env_for(tmp_path, ORDERBOT_RULES=SHIPPED, ORDERBOT_DB=str(tmp_path / "none.db"))
    run = await orderbot("rules", "replay", env=env)
    assert run.status == 2
    assert run.err.startswith(f"orderbot: no database at {tmp_path / 'none.db'}; set ORDERBOT_DB")
    assert not (tmp_path / "none.db").exists()
    run = await orderbot("rules", "replay", "--since", "last week", env=env)
    assert (run.status, run.err) == (
        2,
        'orderbot: --since "last week" is not a duration; write a number and m, h, d or w,'
        " as in 7d\n",
    )
