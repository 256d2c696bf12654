"""A message as the demo prints it: styled on a terminal, and without a single escape
sequence (the very same characters) when piped, with ``NO_COLOR`` or ``TERM=dumb``."""

from __future__ import annotations

import io
import re

import pytest

from bot.demo.render import colour_wanted, console, render_message
from bot.sandbox.slack import Message

ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")

MESSAGE = Message(
    id="M1",
    kind="response",
    channel="C0GENERAL",
    user="U0ALICE",
    channel_name="general",
    text="Order 20-RD12H",
    blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "Order 20-RD12H"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Order* `C` :no_entry: <https://x.example|x>"},
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Customer PO*\nCUSTPO"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Rule *credit-holds*"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Share"},
                    "action_id": "share",
                }
            ],
        },
    ],
)
PLAIN = """\
── #general · reply only visible to U0ALICE [M1]
  # Order 20-RD12H
  Order C ⛔ x (https://x.example)
    Customer PO: CUSTPO
  > Rule credit-holds
  [Share] (press share)
"""


def printed(colour: bool) -> str:
    out = io.StringIO()
    console(out, colour=colour).print(render_message(MESSAGE))
    return out.getvalue()


def test_piped_it_is_plain_text() -> None:
    assert printed(colour=False) == PLAIN


def test_on_a_terminal_it_is_the_same_text_in_colour() -> None:
    coloured = printed(colour=True)
    assert coloured != PLAIN and "\x1b[1m" in coloured  # bold, at least
    assert ANSI.sub("", coloured) == PLAIN


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "env", "wanted"),
    [
        (Tty(), {"TERM": "xterm-256color"}, True),
        (io.StringIO(), {"TERM": "xterm-256color"}, False),
        (Tty(), {"TERM": "xterm-256color", "NO_COLOR": "1"}, False),
        (Tty(), {"TERM": "dumb"}, False),
    ],
    ids=["terminal", "piped", "NO_COLOR", "dumb"],
)
def test_colour_only_on_a_terminal(stream: io.StringIO, env: dict, wanted: bool) -> None:
    assert colour_wanted(stream, env) is wanted


def test_an_ack_with_nothing_shows_nothing() -> None:
    assert render_message(Message(id="M2", kind="ack", channel="C1")) is None
