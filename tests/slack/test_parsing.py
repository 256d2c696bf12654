"""Reading the text after ``/order`` (no API calls, no Slack)."""

from __future__ import annotations

import pytest

from bot.slack.commands.parsing import ByPo, Delete, Help, Holds, Lookup, Status, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20-RD12H", Lookup("20-RD12H")),
        ("  20-rd12h  ", Lookup("20-RD12H")),
        ("20-RD12H-11", Lookup("20-RD12H-11")),
        ("po CUSTPO", ByPo("CUSTPO")),
        ("PO: ACME 7731", ByPo("ACME 7731")),
        ("po <!channel>", ByPo("<!channel>")),
        ("delete 20-11852", Delete("20-11852")),
        ("DELETE 20-11852", Delete("20-11852")),
        ("holds", Holds()),
        ("holds ch", Holds("CH")),
        ("status", Status()),
        ("help", Help()),
        ("?", Help()),
        ("", Help()),
        ("   ", Help()),
    ],
)
def test_commands_are_read(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("what is this", "I could not read 'what is this'."),
        ("20-RD12H please", "I could not read '20-RD12H please'."),
        ("po", "Give the customer PO number after `po`"),
        ("delete", "Give one order number after `delete`"),
        ("delete 20-11852 20-RD12H", "Give one order number after `delete`"),
        ("delete banana", "'banana' is not an order number such as `20-11852`."),
        ("delete 20-11852-11", "is a shipment. Orders are deleted whole: `/order delete 20-11852`"),
        ("holds XY", "'XY' is not one of Ingram Micro's hold reason codes."),
        ("holds CHH", "Did you mean `CH`?"),
        ("holds CH C3", "`/order holds` takes at most one hold reason code"),
        ("status now", "I could not read 'status now'."),
    ],
)
def test_what_cannot_be_read_is_help_saying_why(text: str, problem: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Help)
    assert parsed.problem is not None and problem in parsed.problem
