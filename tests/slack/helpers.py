"""Small helpers shared by the Slack app tests."""

from __future__ import annotations

from bot.sandbox.slack import Message, SlackRequestResult, SlackUser


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
