"""What the Slack stand-in records, and how a person would read it in a terminal.

``Message`` is one message the app made Slack show (or change, or remove), with its buttons
(``Button``) and ``render()`` for the demo's terminal; ``ApiCall`` is one Web API call and how
it was answered. ``with_ids`` fills in the ``block_id``/``action_id`` Slack generates.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.slack.texts import autolinks, block_text_length


@dataclass(frozen=True)
class Button:
    """A button found in a message's blocks (an ``actions`` element or a section accessory)."""

    label: str
    action_id: str
    block_id: str
    value: str | None = None
    style: str | None = None
    url: str | None = None
    confirm: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Message:
    """One message the app made Slack show (or change, or remove).

    ``kind`` is ``post`` (chat.postMessage), ``ephemeral`` (chat.postEphemeral), ``update``
    (chat.update), ``delete`` (chat.delete), ``response`` (a POST to a ``response_url``) or
    ``ack`` (the body of a slash command's acknowledgement, which Slack shows to the user).
    ``replaces`` is the id of the message this one replaced or deleted.
    """

    id: str
    kind: str
    channel: str
    user: str | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    ts: str | None = None
    response_type: str | None = None
    replace_original: bool = False
    delete_original: bool = False
    replaces: str | None = None
    channel_name: str | None = None
    response_url: str | None = None
    #: Slack message metadata (``{"event_type": ..., "event_payload": {...}}``), if any.
    metadata: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_ephemeral(self) -> bool:
        """Only one user can see it (chat.postEphemeral, or an ephemeral reply)."""
        if self.kind == "ephemeral":
            return True
        return self.kind in ("response", "ack") and self.response_type != "in_channel"

    def buttons(self) -> list[Button]:
        """Every button in the message, in display order."""
        found: list[Button] = []
        for block in self.blocks:
            elements: list[Any] = []
            if block.get("type") == "actions":
                elements = list(block.get("elements") or [])
            elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
                elements = [block["accessory"]]
            for element in elements:
                if isinstance(element, dict) and element.get("type") == "button":
                    found.append(_button(block, element))
        return found

    def button(self, key: str) -> Button:
        """The button whose ``action_id`` or label is ``key`` (labels match case-insensitively)."""
        buttons = self.buttons()
        for candidate in buttons:
            if key in (candidate.action_id, candidate.label):
                return candidate
        for candidate in buttons:
            if candidate.label.casefold() == key.casefold():
                return candidate
        names = ", ".join(f"{b.label!r} ({b.action_id})" for b in buttons) or "none"
        raise LookupError(f"message {self.id} has no button {key!r}; its buttons: {names}")

    @property
    def block_text(self) -> int:
        """Characters of text in the blocks, as Slack counts them for ``msg_blocks_too_long``."""
        return block_text_length(self.blocks)

    def autolinks(self) -> list[str]:
        """Bare text Slack would link or mention on its own (in non-verbatim mrkdwn)."""
        return autolinks(self.blocks)

    @property
    def all_text(self) -> str:
        """The fallback text and every text in the blocks, one per line (for assertions)."""
        parts = [self.text] if self.text else []
        for block in self.blocks:
            parts.extend(_block_texts(block))
        return "\n".join(parts)

    def lines(self) -> list[Line]:
        """The message laid out as Slack shows it, one ``Line`` a line: the headline (where
        and what it is), then its blocks (or its text when it has none). A terminal renders
        these (``render``, or the demo's styled rendering)."""
        lines = [Line("headline", (Span(self._headline()),))]
        if self.kind != "delete":
            if self.blocks:
                lines.extend(_block_lines(self.blocks))
            else:
                lines.extend(_text_lines("text", {"type": "mrkdwn", "text": self.text}))
        return lines

    def render(self) -> str:
        """The message as a person would read it in a terminal, as plain text (mrkdwn left as
        written, links and entities resolved)."""
        head, *body = self.lines()
        shown = [head.plain, *(f"  {line.plain}" if line.plain else "" for line in body)]
        return "\n".join(shown).rstrip()

    def _headline(self) -> str:
        name = self.channel_name
        where = (name if name.startswith("@") else f"#{name}") if name else self.channel
        audience = f"only visible to {self.user}" if self.is_ephemeral else "in channel"
        heads = {
            "post": f"{where} · message",
            "ephemeral": f"{where} · message {audience}",
            "update": f"{where} · message edited",
            "delete": f"{where} · message deleted",
            "response": f"{where} · reply {audience}",
            "ack": f"{where} · immediate reply {audience}",
        }
        head = f"── {heads.get(self.kind, f'{where} · {self.kind}')} [{self.id}]"
        if self.thread_ts:
            head += f" in thread {self.thread_ts}"
        if self.replaces:
            verb = "deletes" if self.kind == "delete" or self.delete_original else "replaces"
            head += f" ({verb} {self.replaces})"
        elif self.replace_original or self.delete_original:
            head += " (no earlier message to replace)"
        return head


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the app made, and how the stand-in answered it."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None = None


# --- laying a message out for a terminal ------------------------------------------------

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class Span:
    """A piece of a line: ``kind`` is ``mrkdwn`` or ``plain_text`` (a Block Kit text object's
    type: Slack formats the first, shows the second as written) or ``layout`` (what the
    terminal rendering adds: the headline, ``# ``, ``> ``, button brackets)."""

    text: str
    kind: str = "layout"

    @property
    def plain(self) -> str:
        return self.text if self.kind == "layout" else _readable(self.text)


@dataclass(frozen=True)
class Line:
    """One line of a message: ``role`` is ``headline``, ``header``, ``text``, ``field``,
    ``context``, ``buttons``, ``divider`` or ``image`` (a terminal may style each)."""

    role: str
    spans: tuple[Span, ...]

    @property
    def plain(self) -> str:
        return "".join(span.plain for span in self.spans)


def _readable(text: str) -> str:
    """Slack mrkdwn as a person would read it: links, mentions and entities resolved."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#")):
            return f"{target[0]}{label or target[1:]}"
        if target.startswith("!"):
            return label or "@" + target[1:].split("^", 1)[0]
        return f"{label} ({target})" if label else target

    text = _LINK.sub(link, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _span(obj: object) -> Span:
    """A Block Kit text object as a span (its text kept as written)."""
    if isinstance(obj, dict):
        kind = "plain_text" if obj.get("type") == "plain_text" else "mrkdwn"
        return Span(str(obj.get("text") or ""), kind)
    return Span("")


def _text_of(obj: object) -> str:
    return _span(obj).plain if isinstance(obj, dict) else ""


def _text_lines(role: str, obj: object, prefix: str = "") -> list[Line]:
    """A text object, one line per line of its text."""
    span = _span(obj)
    head = (Span(prefix),) if prefix else ()
    return [Line(role, (*head, Span(part, span.kind))) for part in span.text.split("\n")]


def _button_line(buttons: Iterable[Button]) -> Line:
    spans: list[Span] = []
    for number, b in enumerate(buttons):
        if number:
            spans.append(Span("   "))
        how = f"link {b.url}" if b.url else f"press {b.action_id or b.label}"
        spans += [Span("["), Span(b.label, "plain_text"), Span(f"] ({how})")]
    return Line("buttons", tuple(spans))


def _joined(role: str, prefix: str, spans: Iterable[Span], glue: str) -> Line:
    """Several text objects on one line (newlines become spaces)."""
    parts: list[Span] = [Span(prefix)] if prefix else []
    for number, span in enumerate(spans):
        if number:
            parts.append(Span(glue))
        parts.append(Span(span.text.replace("\n", " "), span.kind))
    return Line(role, tuple(parts))


def _block_lines(blocks: list[dict[str, Any]]) -> list[Line]:
    lines: list[Line] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(Line("header", (Span("# "), _span(block.get("text")))))
        elif kind == "divider":
            lines.append(Line("divider", (Span("-" * 40),)))
        elif kind == "section":
            if block.get("text"):
                lines += _text_lines("text", block["text"])
            for item in block.get("fields") or []:
                # Slack shows a field's first line (its label) above the rest.
                label, _, value = _span(item).text.partition("\n")
                field = Span(f"{label}: {value}" if value else label, _span(item).kind)
                lines.append(_joined("field", "  ", [field], " "))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                lines.append(_button_line([_button(block, accessory)]))
        elif kind == "context":
            spans = [
                _span(e) if e.get("type") != "image" else Span(f"[image: {e.get('alt_text', '')}]")
                for e in block.get("elements") or []
                if isinstance(e, dict)
            ]
            lines.append(_joined("context", "> ", spans, " · "))
        elif kind == "actions":
            buttons = [
                _button(block, e)
                for e in block.get("elements") or []
                if isinstance(e, dict) and e.get("type") == "button"
            ]
            if buttons:
                lines.append(_button_line(buttons))
        elif kind == "image":
            lines.append(Line("image", (Span(f"[image: {block.get('alt_text', '')}]"),)))
        else:
            lines += [Line("text", (Span(t, "mrkdwn"),)) for t in _block_texts(block) if t]
    return lines


def _block_texts(block: dict[str, Any]) -> list[str]:
    texts = []
    if isinstance(block.get("text"), dict):
        texts.append(str(block["text"].get("text") or ""))
    elif isinstance(block.get("text"), str):
        texts.append(block["text"])
    for item in block.get("fields") or []:
        texts.append(str(item.get("text") or "") if isinstance(item, dict) else "")
    for element in block.get("elements") or []:
        if isinstance(element, dict) and isinstance(element.get("text"), dict):
            texts.append(str(element["text"].get("text") or ""))
        elif isinstance(element, dict) and isinstance(element.get("text"), str):
            texts.append(element["text"])
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and isinstance(accessory.get("text"), dict):
        texts.append(str(accessory["text"].get("text") or ""))
    return texts


def _button(block: dict[str, Any], element: dict[str, Any]) -> Button:
    label = _text_of(element.get("text"))
    return Button(
        label=label,
        action_id=str(element.get("action_id") or ""),
        block_id=str(block.get("block_id") or ""),
        value=element.get("value"),
        style=element.get("style"),
        url=element.get("url"),
        confirm=element.get("confirm"),
        raw=element,
    )


def with_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of the blocks with the block_id/action_id Slack generates where the app set none."""
    filled = json.loads(json.dumps(blocks))
    for block in filled:
        block.setdefault("block_id", secrets.token_urlsafe(3))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in (None, "image"):
                element.setdefault("action_id", secrets.token_urlsafe(3))
    return filled
