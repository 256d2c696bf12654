"""Alert messages: one per event or one digest, their content, escaping and Block Kit limits."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from bot.ingram.codes import HOLD_REASONS
from bot.slack.budget import MAX_BLOCK_TEXT, block_text
from bot.store import SuborderState
from bot.watch.alerts import (
    MAX_DIGEST_ROWS,
    NewAlert,
    build_alerts,
    cut,
)
from bot.watch.changes import Event
from bot.watch.rules import Rule, RuleSet
from bot.watch.rules_loading import load_rules

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"

CREDIT = Rule(
    "credit-holds",
    frozenset({"hold_placed"}),
    {"holdreasoncode": frozenset({"C3", "CH"})},
    "#credit-alerts",
    "Credit hold on {subordernumber}: {holdreason}",
)
EVERYTHING = Rule(
    "everything",
    frozenset({"hold_placed", "hold_released", "hold_changed", "status_changed", "suborder_added"}),
    {},
    "#order-alerts",
)


def sub(
    n: int, *, hold: str = "", status: str = "", po: str = "", holdtext: str = ""
) -> SuborderState:
    return SuborderState(
        f"20-R{n:05d}-11",
        f"20-R{n:05d}",
        po or f"PO-{n}",
        "2025-03-01T10:00:00.000000+00:00",
        status,
        "",
        hold,
        holdtext,
    )


def placed(n: int, hold: str = "C3", **kw: Any) -> Event:
    return Event(
        "hold_placed", sub(n, hold=hold, status="C", **kw), sub(n, status="W"), "20-123456", "UK"
    )


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text of a message's blocks."""
    found: list[str] = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", []) if "text" in e]
    return found


def assert_block_kit(alert: NewAlert) -> None:
    """The message is inside Block Kit's limits and Slack's budget, and serializes to JSON."""
    blocks = alert.blocks
    assert 1 <= len(blocks) <= 50
    assert block_text(blocks) <= MAX_BLOCK_TEXT
    json.dumps(blocks)
    for block in blocks:
        assert block["type"] in {"section", "context", "header", "divider"}
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 1 <= len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(1 <= len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
    assert 1 <= len(alert.text) <= 3000


def test_no_events_no_alerts() -> None:
    assert build_alerts([], RuleSet((CREDIT,))) == []


def test_unmatched_events_no_alerts() -> None:
    assert build_alerts([placed(1, hold="SH")], RuleSet((CREDIT,))) == []


def test_up_to_five_are_single_alerts() -> None:
    alerts = build_alerts([placed(i) for i in range(5)], RuleSet((CREDIT,)))
    assert [a.kind for a in alerts] == ["alert"] * 5
    assert [a.ordernumbers for a in alerts] == [[f"20-R{i:05d}"] for i in range(5)]
    assert {(a.rule, a.channel) for a in alerts} == {("credit-holds", "#credit-alerts")}
    for a in alerts:
        assert_block_kit(a)


def test_more_than_five_become_one_digest() -> None:
    (digest,) = build_alerts([placed(i) for i in range(6)], RuleSet((CREDIT,)))
    assert (digest.kind, digest.rule, digest.channel) == (
        "digest",
        "credit-holds",
        "#credit-alerts",
    )
    assert digest.ordernumbers == [f"20-R{i:05d}" for i in range(6)]
    assert_block_kit(digest)
    body = "\n".join(texts(digest.blocks))
    assert "*6 changes* on 6 orders" in body
    for i in range(6):
        assert f"20-R{i:05d}-11" in body
    assert "W→C" in body and "-→C3" in body and "C3 Credit hold" in body
    assert "more" not in body


def test_threshold_counts_per_rule_and_channel() -> None:
    events = [placed(i) for i in range(6)] + [
        Event("hold_released", sub(100), sub(100, hold="SH"), "20-123456", "UK")
    ]
    alerts = build_alerts(events, RuleSet((CREDIT, EVERYTHING)))
    assert [(a.rule, a.kind) for a in alerts] == [
        ("credit-holds", "digest"),
        ("everything", "digest"),
    ]
    assert len(alerts[1].ordernumbers) == 7
    alerts = build_alerts(events, RuleSet((CREDIT, EVERYTHING)), digest_threshold=10)
    assert [a.kind for a in alerts] == ["alert"] * 13


def test_mentions_lead_the_alert_and_the_digest_and_their_notifications() -> None:
    rule = dataclasses.replace(CREDIT, mentions=("U0CREDIT1", "S0CREDITS"))
    (alert,) = build_alerts([placed(1, holdtext="<@U0EVIL00>")], RuleSet((rule,)))
    lead = "<@U0CREDIT1> <!subteam^S0CREDITS> Credit hold on 20-R00001-11"
    assert alert.text.startswith(lead) and texts(alert.blocks)[0].startswith(lead)
    assert "&lt;@U0EVIL00&gt;" in alert.text
    (digest,) = build_alerts([placed(i) for i in range(6)], RuleSet((rule,)))
    assert digest.text.startswith("<@U0CREDIT1> <!subteam^S0CREDITS> 6 changes for rule")
    assert texts(digest.blocks)[0].startswith("<@U0CREDIT1> <!subteam^S0CREDITS> *6 changes*")
    assert_block_kit(digest)


def test_alert_names_order_suborder_po_status_and_hold() -> None:
    event = Event(
        "hold_placed",
        SuborderState("20-RD12H-11", "20-RD12H", "CUSTPO", "", "C", "CREDIT HOLD", "CH", ""),
        SuborderState("20-RD12H-11", "20-RD12H", "CUSTPO", "", "", "", "", ""),
        "20-123456",
        "UK",
    )
    (alert,) = build_alerts([event], RuleSet((CREDIT,)))
    assert alert.text == "Credit hold on 20-RD12H-11: Credit check hold"
    headline, *rest = texts(alert.blocks)
    assert headline == alert.text
    body = "\n".join(rest)
    for expected in (
        "*Order*\n20-RD12H",
        "*Suborder*\n20-RD12H-11",
        "*Customer PO*\nCUSTPO",
        "*Event*\nHold placed",
        "*Status*\n`C` CREDIT HOLD",
        "*Previous status*\nIn progress/Open order",
        "*Hold*\n`CH` Credit check hold",
        "*Previous hold*\nNo hold",
        "Rule *credit-holds* · customer 20-123456 · UK",
    ):
        assert expected in body
    assert_block_kit(alert)


def test_a_new_shipment_has_no_previous_state() -> None:
    event = Event("suborder_added", sub(1, hold="SH"), None, "20-123456", "UK")
    (alert,) = build_alerts([event], RuleSet((EVERYTHING,)))
    body = "\n".join(texts(alert.blocks))
    assert "*Previous hold*\n— (new shipment)" in body
    assert alert.text == "New shipment 20-R00001-11 of order 20-R00001"


EVIL = "<!channel> pay <http://evil.example|here> & <@U123>"


@pytest.mark.parametrize("count", [1, 6])
def test_api_text_is_escaped_everywhere(count: int) -> None:
    events = [
        Event(
            "hold_placed",
            SuborderState(f"20-X{i}-11", f"20-X{i}", EVIL, "", "C", EVIL, "CH", EVIL),
            None,
            "20-123456",
            "UK",
        )
        for i in range(count)
    ]
    alerts = build_alerts(events, RuleSet((CREDIT,)))
    for alert in alerts:
        for text in [*texts(alert.blocks), alert.text]:
            assert "<" not in text and ">" not in text
            assert "& " not in text
        assert_block_kit(alert)
    if count == 1:
        assert "&lt;!channel&gt; pay &lt;http://evil.example|here&gt; &amp; &lt;@U123&gt;" in (
            alerts[0].text
        )


def test_a_thousand_changes_fit_in_one_digest() -> None:
    events = [placed(i, po="P" * 40 + "&<>") for i in range(1000)]
    (digest,) = build_alerts(events, RuleSet((CREDIT,)))
    assert_block_kit(digest)
    assert len(digest.ordernumbers) == 1000
    body = "\n".join(texts(digest.blocks))
    assert f"…and {1000 - MAX_DIGEST_ROWS} more" in body
    assert "*1000 changes* on 1000 orders" in body
    shown = sum(1 for i in range(1000) if f"20-R{i:05d}-11" in body)
    assert shown == MAX_DIGEST_ROWS


def test_huge_texts_stay_inside_the_limits() -> None:
    long_hold = ("HOLD & <CALL> AR " * 200)[:3000]
    events = [
        Event(
            "hold_changed",
            sub(i, hold="CH", status="C", holdtext=long_hold, po="Q" * 3000),
            sub(i, hold="C3", holdtext=long_hold),
            "20-123456",
            "UK",
        )
        for i in range(7)
    ]
    rule = Rule("long", frozenset({"hold_changed"}), {}, "#a", "{holdreason} {previous_holdreason}")
    (one,) = build_alerts(events[:1], RuleSet((rule,)))
    assert_block_kit(one)
    assert one.text.endswith("…")
    (digest,) = build_alerts(events, RuleSet((rule,)))
    assert_block_kit(digest)


def test_a_digest_of_long_rows_and_every_hold_code_stays_within_the_budget() -> None:
    codes = [c for c in HOLD_REASONS if c]
    events = [
        Event(
            "hold_changed",
            sub(i, hold=codes[i % len(codes)], status="C", po="P&<" * 100),
            sub(i, hold=codes[(i + 1) % len(codes)], status="S"),
            "20-123456",
            "UK",
        )
        for i in range(MAX_DIGEST_ROWS)
    ]
    (digest,) = build_alerts(events, RuleSet((EVERYTHING,)))
    assert_block_kit(digest)
    body = "\n".join(texts(digest.blocks))
    shown = sum(1 for i in range(MAX_DIGEST_ROWS) if f"20-R{i:05d}-11" in body)
    assert 0 < shown <= MAX_DIGEST_ROWS
    if shown < MAX_DIGEST_ROWS:  # what did not fit is counted, with where to see it
        assert f"…and {MAX_DIGEST_ROWS - shown} more: `/order holds`" in body


def test_cut_never_splits_an_entity() -> None:
    assert cut("abc", 3) == "abc"
    assert cut("a &amp; b", 5) == "a…"
    assert cut("abcdef", 4) == "abc…"
    assert len(cut("&lt;" * 1000, 3000)) <= 3000


def test_shipped_rules_produce_alerts() -> None:
    ruleset = load_rules(REPO_RULES)
    events = [
        placed(1, hold="C3"),
        placed(2, hold="SH"),
        Event("hold_released", sub(3), sub(3, hold="C3"), "20-123456", "UK"),
        Event("status_changed", sub(4, status="S"), sub(4, status="W"), "20-123456", "UK"),
    ]
    alerts = build_alerts(events, ruleset)
    assert sorted((a.rule, a.channel) for a in alerts) == [
        ("credit-holds", "#credit-alerts"),
        ("releases", "#order-alerts"),
        ("sales-hold-status", "#sales-alerts"),
        ("sales-holds", "#sales-alerts"),
    ]
    for a in alerts:
        assert_block_kit(a)


def test_api_text_in_alerts_and_digests_is_inert() -> None:
    hostile = "@here http://evil.example #general \u202eCBA\u202c\u200b"
    events = [placed(i, po=hostile, holdtext=hostile) for i in range(7)]
    (one,) = build_alerts(events[:1], RuleSet((CREDIT,)))
    (digest,) = build_alerts(events, RuleSet((CREDIT,)))
    for alert in (one, digest):
        objects = [o for b in alert.blocks for o in [b.get("text"), *b.get("fields", [])] if o]
        objects += [e for b in alert.blocks for e in b.get("elements", [])]
        assert objects and all(o["verbatim"] is True for o in objects if o["type"] == "mrkdwn")
        shown = "\n".join([alert.text, *texts(alert.blocks)])
        assert not set("\u202e\u202c\u200b") & set(shown)
