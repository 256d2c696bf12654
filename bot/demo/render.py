"""How the demo shows, in a terminal, what orderbot makes Slack show.

The Slack stand-in lays each message out in lines (``Message.lines`` in ``bot.sandbox.slack``:
a headline, then a line per block line, each of spans that are mrkdwn, plain text or layout);
this module renders them with ``rich``: mrkdwn formatted (``bot.demo.mrkdwn``), each kind of
line styled. Colour only on a terminal: piped, with ``NO_COLOR`` set or ``TERM=dumb``, the
very same characters come out without a single escape sequence.
"""

from __future__ import annotations

import codecs
import os
from typing import IO

from rich.console import Console
from rich.text import Text

from bot.demo.mrkdwn import render as mrkdwn
from bot.sandbox.slack import Line, Message

#: The style of each kind of line (``Line.role``), with colour on.
ROLE_STYLES: dict[str, str] = {
    "headline": "bold blue",
    "header": "bold",
    "text": "",
    "field": "",
    "context": "dim",
    "buttons": "bold",
    "divider": "dim",
    "image": "dim",
}
#: Layout around a button label: ``[``, ``] (press delete_confirm)``.
_BUTTON_LAYOUT = "dim"


def colour_wanted(stream: IO[str], env: dict[str, str] | None = None) -> bool:
    """Colour for a terminal, none when piped or when ``NO_COLOR`` (https://no-color.org) is
    set or ``TERM`` is ``dumb``."""
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def console(stream: IO[str] | None = None, *, colour: bool) -> Console:
    """A console for the demo's output (``stream`` None: whatever ``sys.stdout`` is when it
    writes, so that a prompt can take it over). Lines are never wrapped or cut: the terminal
    wraps them as it does any long line."""
    return Console(
        file=stream,
        force_terminal=colour,
        no_color=not colour,
        color_system="auto" if colour else None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def can_encode_emoji(stream: IO[str] | None) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def render_line(line: Line, *, emoji: bool = True) -> Text:
    """One line of a message, styled as its role says."""
    out = Text(style=ROLE_STYLES.get(line.role, ""))
    for span in line.spans:
        if span.kind == "mrkdwn":
            out.append_text(mrkdwn(span.text, emoji=emoji))
        elif span.kind == "plain_text":
            out.append(span.plain)
        else:
            out.append(span.text, _BUTTON_LAYOUT if line.role == "buttons" else "")
    return out


def render_message(message: Message, *, emoji: bool = True) -> Text | None:
    """The message as a person would read it in a terminal, or None when Slack would show
    nothing (an acknowledgement with no text)."""
    if message.kind == "ack" and not (message.text or message.blocks):
        return None
    head, *body = message.lines()
    out = Text()
    out.append_text(render_line(head, emoji=emoji))
    for line in body:
        out.append("\n")
        rendered = render_line(line, emoji=emoji)
        if rendered.plain:
            out.append("  ")
            out.append_text(rendered)
    out.rstrip()
    return out
