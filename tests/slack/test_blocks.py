"""Block Kit messages: escaping, limits however big the order, and what each message says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingram.codes import DELETE_ABEND, DELETE_NOT_FOUND
from bot.ingram.models import DeleteOutcome, Order, Suborder
from bot.sandbox.slack import validate_blocks
from bot.slack.blocks import (
    ACTION_DELETE_CANCEL,
    ACTION_DELETE_CONFIRM,
    ACTION_SHARE,
    MAX_BLOCKS,
    Message,
    cancelled_message,
    delete_outcome_message,
    delete_prompt_message,
    error_message,
    help_message,
    hold_label,
    lookup_message,
    not_found_message,
    notice_message,
    pack,
    shipment_line,
    status_label,
)
from bot.slack.mrkdwn import escape, truncate

ENTERED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
NASTY = "<!channel> <https://evil.example|click> & <@U0BOSS>"


def order(number: str = "20-RD12H", count: int = 3, *, hold: str = "", po: str = "CUSTPO") -> Order:
    subs = tuple(
        Suborder(f"{number}-{i}", "C", "CREDIT HOLD", "CH", hold or "HARD-9 CUST NOT FLOOR ORD")
        for i in range(1, count + 1)
    )
    return Order(number, ENTERED, po, subs)


def assert_valid(message: Message) -> None:
    """What Slack accepts: at most 50 blocks, every limit of every block."""
    assert len(message.blocks) <= MAX_BLOCKS
    assert validate_blocks(message.blocks) == []
    assert 0 < len(message.payload()["text"]) <= 40_000


def raw_markup(message: Message) -> list[str]:
    """Texts that would mention someone or link somewhere in Slack."""
    texts = [message.payload()["text"], *_texts(message.blocks)]
    return [t for t in texts if "<!" in t or "<http" in t or "<@U0BOSS" in t]


def _texts(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


# --- mrkdwn ------------------------------------------------------------------------------------


def test_escape_makes_mentions_and_links_plain_text() -> None:
    assert escape(NASTY) == (
        "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; &lt;@U0BOSS&gt;"
    )
    assert escape(None) == "" and escape(42) == "42"


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdef", 4) == "abc…" and len(truncate("x" * 5000, 3000)) == 3000


def test_pack_fills_sections_and_counts_what_did_not_fit() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(200)]
    blocks, left = pack(lines, 50)
    assert left == 0 and all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert sum(b["text"]["text"].count("line ") for b in blocks) == 200
    blocks, left = pack(lines, 2)
    assert len(blocks) == 2 and left > 0
    shown = sum(b["text"]["text"].count("line ") for b in blocks)
    assert shown + left == 200


# --- orders ------------------------------------------------------------------------------------


def test_labels_show_code_and_description() -> None:
    assert status_label("C", "CREDIT HOLD") == "`C` CREDIT HOLD"
    assert status_label("C", "ON STOP") == "`C` ON STOP (Credit hold)"
    assert status_label("", "") == "`-` In progress/Open order"
    assert hold_label("", "") == "no hold"
    assert hold_label("CH", "HARD-9") == "`CH` HARD-9 (Credit check hold)"
    assert hold_label("Q9", "") == "`Q9` unknown hold code"


def test_shipment_lines_escape_what_ingram_sent() -> None:
    line = shipment_line(Suborder("20-A1B2C-11", "S", "<b>", "SH", NASTY))
    assert "<!" not in line and "<https" not in line and "<b>" not in line
    assert "&lt;!channel&gt;" in line and "&lt;b&gt;" in line
    assert shipment_line(Suborder("20-A1B2C-11"), highlight="20-A1B2C-11").startswith(
        ":arrow_forward:"
    )


def test_a_lookup_shows_the_order_and_every_shipment_with_a_share_button() -> None:
    message = lookup_message("20-RD12H", [order()], highlight=None, share_value="20-RD12H")
    assert_valid(message)
    text = "\n".join(_texts(message.blocks))
    assert "*Order 20-RD12H* · PO *CUSTPO* · entered 2024-05-06 07:08 UTC · 3 shipments" in text
    assert text.count("`CH` HARD-9 CUST NOT FLOOR ORD (Credit check hold)") == 3
    (share,) = message.blocks[-1]["elements"]
    assert share["action_id"] == ACTION_SHARE and share["value"] == "20-RD12H"
    shared = lookup_message("20-RD12H", [order()], highlight=None, share_value=None)
    assert all(b["type"] != "actions" for b in shared.blocks)


def test_an_order_without_shipments_says_so() -> None:
    message = lookup_message(
        "20-EMPTY", [Order("20-EMPTY", ENTERED)], highlight=None, share_value=None
    )
    assert_valid(message)
    assert "Ingram Micro sent no shipments for this order." in "\n".join(_texts(message.blocks))


@pytest.mark.parametrize(
    "orders",
    [
        [order(count=200)],
        [order(count=200, hold="LONG HOLD TEXT " * 200)],
        [order(count=200, hold=NASTY * 20)],
        [order(f"20-P{i:04d}", count=30, po="P" * 200) for i in range(60)],
        [order(f"20-P{i:04d}", count=1, hold="H" * 2900) for i in range(80)],
    ],
    ids=["200-shipments", "200-long-holds", "200-escaped-holds", "60-orders", "80-huge-lines"],
)
def test_every_lookup_stays_inside_block_kit_limits(orders: list[Order]) -> None:
    query = orders[0].customerordernumber if len(orders) > 1 else orders[0].ordernumber
    message = lookup_message(query, orders, highlight=None, share_value="po x")
    assert_valid(message)
    assert message.blocks[-1]["type"] == "actions"  # the share button is never cut off
    assert raw_markup(message) == []


def test_what_does_not_fit_is_named_not_dropped_silently() -> None:
    big = lookup_message(
        "20-RD12H", [order(count=600, hold="X" * 800)], highlight=None, share_value=None
    )
    assert "more shipments not shown here" in "\n".join(_texts(big.blocks))
    many = [order(f"20-P{i:04d}", count=5) for i in range(40)]
    by_po = lookup_message("CUSTPO", many, highlight=None, share_value=None)
    assert "more orders with this PO" in "\n".join(_texts(by_po.blocks))


def test_not_found_escapes_the_query() -> None:
    message = not_found_message(NASTY)
    assert_valid(message)
    assert raw_markup(message) == []


# --- delete ------------------------------------------------------------------------------------


def test_the_delete_prompt_has_a_danger_button_with_a_confirm_dialog_and_cancel() -> None:
    expires = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    message = delete_prompt_message(order("20-11852", 2), "confirmation-1", expires)
    assert_valid(message)
    actions = message.blocks[-1]
    delete, cancel = actions["elements"]
    assert delete["action_id"] == ACTION_DELETE_CONFIRM and delete["style"] == "danger"
    assert delete["value"] == cancel["value"] == "confirmation-1"
    assert delete["confirm"]["style"] == "danger"
    assert "2 shipments" in delete["confirm"]["text"]["text"]
    assert cancel["action_id"] == ACTION_DELETE_CANCEL and "style" not in cancel
    assert "until 09:30 UTC (10 minutes)" in "\n".join(_texts(message.blocks))


def test_a_prompt_for_200_shipments_keeps_its_buttons() -> None:
    expires = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    message = delete_prompt_message(order("20-11852", 200, hold="Y" * 800), "c", expires)
    assert_valid(message)
    assert message.blocks[-1]["type"] == "actions"


@pytest.mark.parametrize(
    ("outcome", "said", "expected"),
    [
        (DeleteOutcome.DELETED, "Order Deleted Successfully", "was deleted by <@U0ALICE>"),
        (DeleteOutcome.ALREADY_DELETED, "", "was already deleted; nothing more to do"),
        (DeleteOutcome.NOT_FOUND, DELETE_NOT_FOUND.responsemessage, "does not find order"),
        (DeleteOutcome.FAILED, DELETE_ABEND.responsemessage, "could not delete order"),
    ],
)
def test_delete_outcomes_say_what_happened(
    outcome: DeleteOutcome, said: str, expected: str
) -> None:
    remedy = DELETE_ABEND.remedy if outcome is DeleteOutcome.FAILED else "None"
    message = delete_outcome_message("20-11852", outcome, said, remedy, "U0ALICE")
    assert_valid(message)
    text = "\n".join(_texts(message.blocks))
    assert expected in text
    assert ("*What to do:*" in text) == (outcome is DeleteOutcome.FAILED)


def test_a_failure_message_from_the_api_is_escaped() -> None:
    message = delete_outcome_message("20-11852", DeleteOutcome.FAILED, NASTY, NASTY, "U0ALICE")
    assert_valid(message)
    assert [t for t in raw_markup(message) if "<!" in t or "<http" in t] == []


def test_cancelled_help_errors_and_notices() -> None:
    assert "was not deleted" in cancelled_message("20-11852").text
    usage = help_message("I could not read 'x'.")
    assert_valid(usage)
    assert "/order po CUSTPO" in "\n".join(_texts(usage.blocks))
    for message in (help_message(NASTY), error_message(NASTY), notice_message(NASTY)):
        assert_valid(message)
        assert raw_markup(message) == []


def test_a_po_that_finds_nothing_escapes_it_and_says_how_pos_match() -> None:
    message = lookup_message(NASTY, [], highlight=None, share_value=None, by_po=True)
    assert_valid(message)
    assert raw_markup(message) == []
    assert "matched exactly as entered, case included" in message.blocks[0]["text"]["text"]
