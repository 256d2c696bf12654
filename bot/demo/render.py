"""How the demo shows, in a terminal, what orderbot makes Slack show.

The text of one message comes from the Slack stand-in (``Message.render`` in
``bot.sandbox.slack``), whose block reading it shares with the stand-in's button lookup; this
module decides what is shown at all and is the place for a richer terminal rendering.
"""

from __future__ import annotations

from bot.sandbox.slack import Message


def render_message(message: Message) -> str | None:
    """The message as a person would read it in a terminal, or None when Slack would show
    nothing (an acknowledgement with no text)."""
    if message.kind == "ack" and not (message.text or message.blocks):
        return None
    return message.render()
