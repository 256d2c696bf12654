"""Slack mrkdwn, rendered for a terminal as ``rich`` text.

Slack's own rules (https://api.slack.com/reference/surfaces/formatting): ``*bold*``,
``_italic_``, ``~strike~`` only at word boundaries (``delete_confirm`` stays as written),
```` `code` ```` and ```` ```pre``` ```` with nothing formatted inside, ``<url|label>`` links,
``<@U123>`` / ``<#C123|name>`` / ``<!here>`` mentions, ``&lt; &gt; &amp;`` entities, ``>`` at
the start of a line for a quote, and ``:shortcode:`` emoji (the ones rich knows; others stay
as written). The markers go and styles take their place, so that with colour off (piped, or
``NO_COLOR``) what is left is the plain text a person reads.
"""

from __future__ import annotations

import re

from rich.emoji import Emoji, NoEmoji
from rich.style import Style
from rich.text import Text

#: The style of each kind of mrkdwn, for a terminal that has colour.
STYLES: dict[str, str] = {
    "bold": "bold",
    "italic": "italic",
    "strike": "strike",
    "code": "cyan",
    "link": "underline blue",
    "url": "dim",
    "mention": "bold magenta",
    "quote": "dim",
}

_TOKEN = re.compile(
    r"""
    ```(?P<pre>.+?)```
  | `(?P<code>[^`]+)`
  | <(?P<target>[^<>|]+)(?:\|(?P<label>[^<>]*))?>
  | :(?P<emoji>[a-z0-9_+'-]+):
  | (?<![\w*])\*(?P<bold>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])
  | (?<![\w_])_(?P<italic>[^_\s](?:[^_]*[^_\s])?)_(?![\w_])
  | (?<![\w~])~(?P<strike>[^~\s](?:[^~]*[^~\s])?)~(?![\w~])
    """,
    re.VERBOSE,
)
_QUOTE = re.compile(r"^(?:&gt;|>)\s?")


def entities(text: str) -> str:
    """Slack's three entities, decoded."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(text: str, *, style: str = "", emoji: bool = True) -> Text:
    """One line of mrkdwn as styled text (``style`` under everything); ``emoji=False`` keeps
    ``:shortcodes:`` as written (for an output that cannot encode emoji)."""
    out = Text(style=style)
    quote = _QUOTE.match(text)
    if quote:
        out.append("│ ", STYLES["quote"])
        text = text[quote.end() :]
    _append(out, text, Style(), emoji)
    return out


def _append(out: Text, text: str, style: Style, emoji: bool) -> None:
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            out.append(entities(text[position : match.start()]), style)
        position = match.end()
        kind = match.lastgroup
        if kind in ("bold", "italic", "strike"):
            _append(out, match.group(kind), style + Style.parse(STYLES[kind]), emoji)
        elif kind in ("code", "pre"):
            out.append(entities(match.group(kind)), style + Style.parse(STYLES["code"]))
        elif kind in ("target", "label"):
            _link(out, match.group("target"), match.group("label"), style)
        elif kind == "emoji":
            out.append(_emoji(match.group(0), match.group("emoji"), emoji), style)
    if position < len(text):
        out.append(entities(text[position:]), style)


def _link(out: Text, target: str, label: str | None, style: Style) -> None:
    mention = Style.parse(STYLES["mention"])
    if target.startswith(("@", "#")):
        out.append(f"{target[0]}{entities(label or target[1:])}", style + mention)
    elif target.startswith("!"):
        out.append(entities(label or "@" + target[1:].split("^", 1)[0]), style + mention)
    elif label and entities(label) != entities(target):
        url = entities(target)
        out.append(entities(label), style + Style.parse(STYLES["link"]) + Style(link=url))
        out.append(f" ({url})", style + Style.parse(STYLES["url"]))
    else:
        url = entities(target)
        out.append(url, style + Style.parse(STYLES["link"]) + Style(link=url))


def _emoji(written: str, name: str, wanted: bool) -> str:
    if not wanted:
        return written
    try:
        return str(Emoji(name))
    except NoEmoji:
        return written
