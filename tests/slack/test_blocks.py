"""Block Kit pieces: escaping, packing, the labels of an order's codes, help and errors."""

from __future__ import annotations

from bot.ingram.models import Suborder
from bot.slack.blocks import (
    error_message,
    help_message,
    hold_label,
    notice_message,
    pack,
    shipment_line,
    status_label,
)
from bot.slack.mrkdwn import escape, truncate
from tests.slack.helpers import all_texts, assert_valid, raw_markup

NASTY = "<!channel> <https://evil.example|click> & <@U0BOSS>"


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


def test_help_errors_and_notices() -> None:
    usage = help_message("I could not read 'x'.")
    assert_valid(usage)
    assert "/order po CUSTPO" in "\n".join(all_texts(usage.blocks))
    for message in (help_message(NASTY), error_message(NASTY), notice_message(NASTY)):
        assert_valid(message)
        assert raw_markup(message) == []
