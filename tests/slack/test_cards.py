"""Rendering order cards: Slack's limits whatever the order, escaping, the release line, and
what the hold buttons carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.slack.cards import (
    ACTION_HOLD_SNOOZE,
    HOLD_ACTION_IDS,
    SNOOZES,
    owner_line,
    press_value,
    read_press,
    render_card,
)
from bot.store import OrderHold, OrderView, Owner, SnapshotRow

NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


def shipment(n: int, hold: str = "C3", text: str = "CREDIT HOLD") -> SnapshotRow:
    since = NOW - timedelta(hours=2, minutes=14) if hold else None
    return SnapshotRow(
        f"20-BIG-{n}", "20-BIG", "PO<!here>", "", "C", "", hold, text, NOW, NOW, since
    )


def view(shipments: list[SnapshotRow], **kwargs: object) -> OrderView:
    options: dict = {"read_at": NOW, "refreshed_by": None, "hold": None, "owner": None}
    options.update(kwargs)
    return OrderView("20-BIG", shipments, **options)


def block_text(blocks: list[dict]) -> int:
    return len(json.dumps(blocks))


def test_a_card_of_a_huge_order_stays_inside_slacks_limits() -> None:
    ships = [shipment(n, text="<!channel> " + "X" * 300) for n in range(400)]
    message = render_card(view(ships), headline="Credit hold", now=NOW)
    assert len(message.blocks) <= 50
    texts = [
        t
        for b in message.blocks
        for t in [b.get("text", {}).get("text", "")]
        + [e.get("text", "") for e in b.get("elements", []) if isinstance(e.get("text"), str)]
    ]
    assert sum(len(t) for t in texts) <= 12_000
    assert "<!channel>" not in json.dumps(message.blocks)  # Ingram's text is escaped
    assert "&lt;!here&gt;" in json.dumps(message.blocks)
    assert any("more shipments not shown" in t for t in texts)
    assert [e["action_id"] for e in message.blocks[-2]["elements"]] == list(HOLD_ACTION_IDS)
    assert "for 2 h 14 min" in texts[2]


def test_a_released_card_says_how_long_and_has_no_actions() -> None:
    hold = OrderHold("20-BIG", NOW - timedelta(hours=3), False, NOW - timedelta(minutes=46))
    message = render_card(view([shipment(1, hold="", text="")], hold=hold), headline="h", now=NOW)
    assert all(b["type"] != "actions" for b in message.blocks)
    assert "No shipment is on hold any more; it was held for 2 h 14 min." in json.dumps(
        message.blocks
    )
    before = OrderHold("20-BIG", NOW - timedelta(hours=3), True, NOW)
    message = render_card(view([shipment(1, hold="")], hold=before), headline="h", now=NOW)
    assert "held since before orderbot started watching" in json.dumps(message.blocks)


def test_the_owner_and_the_snooze_are_shown_and_carried_by_the_buttons() -> None:
    owner = Owner("20-BIG", "U0ALICE", "alice", NOW, "U0BOB", NOW, NOW + timedelta(hours=4), False)
    line = owner_line(owner, NOW)
    assert "<@U0ALICE> is on it since 12:00 UTC" in line
    assert "snoozed until 16:00 UTC by <@U0BOB>" in line
    assert "Nobody is on it" in owner_line(None, NOW)
    message = render_card(view([shipment(1)], owner=owner), headline="h", now=NOW)
    actions = message.blocks[-2]
    take, snooze, refresh = actions["elements"]
    assert read_press(take["value"]) == ("20-BIG", "U0ALICE")
    assert read_press(refresh["value"]) == ("20-BIG", "U0ALICE")
    assert snooze["action_id"] == ACTION_HOLD_SNOOZE
    assert (
        [o["value"] for o in snooze["options"]]
        == list(SNOOZES)
        == [
            "1h",
            "4h",
            "1d",
            "until_change",
        ]
    )
    assert read_press("", actions["block_id"]) == ("20-BIG", "U0ALICE")
    assert read_press(press_value("20-BIG", None)) == ("20-BIG", None)
    assert read_press("not json") is None and read_press("{}", "other") is None
