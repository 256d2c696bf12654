"""Small helpers shared by the Slack app tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.ingram.models import Order, Suborder
from bot.sandbox.slack import Message, SlackRequestResult, SlackUser, validate_blocks
from bot.slack import blocks
from bot.slack.budget import MAX_BLOCK_TEXT, MAX_BLOCKS, block_text

ENTERED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


async def ask(user: SlackUser, text: str) -> Message:
    """Type ``/order text`` and return the answer sent through the response_url."""
    result = await user.command("/order", text)
    assert result.status == 200, (result.status, result.body)
    assert result.elapsed < 3.0, "Slack would have shown a timeout"
    return await result.reply()


async def press(user: SlackUser, message: Message, button: str) -> SlackRequestResult:
    """Press a button (confirming any dialog) and check that the press was acknowledged."""
    result = await user.press(message, button)
    assert result is not None
    assert result.status == 200, (result.status, result.body)
    return result


def texts(message: Message) -> list[str]:
    """Every text the message shows (fallback and blocks), for checks on escaping."""
    return message.all_text.split("\n")


def assert_readable(message: Message) -> None:
    """A failure is an answer a person can act on, not a stack trace."""
    text = message.all_text
    assert text.strip()
    assert "Traceback" not in text and 'File "' not in text


# --- messages built without a server ----------------------------------------------------------


def make_order(
    number: str = "20-RD12H", count: int = 3, *, hold: str = "", po: str = "CUSTPO"
) -> Order:
    """An order of ``count`` shipments on credit hold."""
    subs = tuple(
        Suborder(f"{number}-{i}", "C", "CREDIT HOLD", "CH", hold or "HARD-9 CUST NOT FLOOR ORD")
        for i in range(1, count + 1)
    )
    return Order(number, ENTERED, po, subs)


def all_texts(value: object) -> list[str]:
    """Every ``text`` string inside blocks (button labels and dialogs included)."""
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for v in value.values() for t in all_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in all_texts(v)]
    return []


def assert_valid(message: blocks.Message) -> None:
    """What Slack accepts: at most 50 blocks, every limit of every block, and orderbot's
    budget of block text."""
    assert len(message.blocks) <= MAX_BLOCKS
    assert block_text(message.blocks) <= MAX_BLOCK_TEXT
    assert validate_blocks(message.blocks) == []
    assert 0 < len(message.payload()["text"]) <= 40_000


def raw_markup(message: blocks.Message) -> list[str]:
    """Texts that would mention someone or link somewhere in Slack."""
    texts = [message.payload()["text"], *all_texts(message.blocks)]
    return [t for t in texts if "<!" in t or "<http" in t or "<@U0BOSS" in t]
