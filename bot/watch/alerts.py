"""The hold watcher's Slack messages, built at poll time and queued in the outbox.

``build_alerts`` turns a poll's events and the rules into ``NewAlert``s: one Block Kit message
per matching event, or, when one poll has more than ``digest_threshold`` events for the same
rule and channel, a single digest with a table of the changes. Everything that comes from the
API (and the rules' names) is escaped for Slack mrkdwn, and every message stays inside Block
Kit's limits (50 blocks, 3000 characters a section text, 2000 a field) and Slack's budget for
a whole message (``bot.slack.budget``) whatever the API sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import duration_words
from bot.ingram.codes import hold_description, status_description
from bot.slack.budget import MAX_BLOCK_TEXT, MAX_BLOCKS, block_text
from bot.slack.mrkdwn import MAX_API_TEXT, escape, text_object
from bot.watch.alert_timing import Subject, Timing, subject_of, timing_of
from bot.watch.changes import (
    HOLD_CHANGED,
    HOLD_PLACED,
    HOLD_RELEASED,
    STATUS_CHANGED,
    SUBORDER_ADDED,
    Event,
)
from bot.watch.rules import Rule, RuleSet, mentions, render

#: Block Kit limits this module stays inside (and ``MAX_BLOCK_TEXT`` for a whole message).
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_TEXT = 2000
#: The notification text (chat.postMessage ``text``) is kept this short.
MAX_FALLBACK_TEXT = 3000
#: At most this many rows of a digest's table are shown; the rest are counted.
MAX_DIGEST_ROWS = 100

ALERT = "alert"
DIGEST = "digest"

EVENT_LABELS: dict[str, str] = {
    HOLD_PLACED: "Hold placed",
    HOLD_RELEASED: "Hold released",
    HOLD_CHANGED: "Hold changed",
    STATUS_CHANGED: "Status changed",
    SUBORDER_ADDED: "New shipment",
}


@dataclass(frozen=True, slots=True)
class NewAlert:
    """A Slack message for the outbox: which rule made it, where it goes, which orders it
    is about, the notification text and the Block Kit blocks. ``kind`` is "alert" (one
    event) or "digest" (many)."""

    rule: str
    channel: str
    kind: str
    ordernumbers: list[str]
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    #: The change a single alert is about, and when it may be posted (``bot.watch.alert_timing``).
    subject: Subject | None = None
    timing: Timing | None = None


def cut(text: str, limit: int) -> str:
    """Shorten already-escaped mrkdwn to at most ``limit`` characters, marking the cut with
    an ellipsis and never splitting an entity such as ``&amp;``."""
    if len(text) <= limit:
        return text
    kept = text[: max(0, limit - 1)]
    amp = kept.rfind("&")
    if amp != -1 and ";" not in kept[amp:]:
        kept = kept[:amp]
    return kept.rstrip() + "…"


def _fit(raw: object, limit: int) -> str:
    """Escape API text for mrkdwn and cut it to ``limit`` characters."""
    return cut(escape(raw), limit)


def _mrkdwn(text: str) -> dict[str, Any]:
    return text_object(text)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(cut(text, MAX_SECTION_TEXT))}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(cut(text, MAX_CONTEXT_TEXT))]}


def _code(code: str) -> str:
    clean = code.replace("`", "'")
    return f"`{_fit(clean, 40)}`"


def _status(code: str, text: str) -> str:
    described = text or status_description(code)
    return (
        f"{_code(code)} {_fit(described, MAX_API_TEXT)}" if code else _fit(described, MAX_API_TEXT)
    )


def _hold(code: str, text: str) -> str:
    if not code:
        return "No hold"
    return f"{_code(code)} {_fit(text or hold_description(code), MAX_API_TEXT)}"


def _about(rule: Rule, event: Event) -> str:
    parts = [f"Rule *{_fit(rule.name, 200)}*"]
    if event.customernumber:
        parts.append(f"customer {_fit(event.customernumber, 100)}")
    if event.country:
        parts.append(_fit(event.country, 20))
    return " · ".join(parts)


@dataclass(frozen=True)
class HoldTimes:
    """What a ``hold_released`` message says of how long the hold lasted: since when each
    shipment had its hold before the poll (``since``), when orderbot started watching, and
    the poll's time."""

    since: Mapping[str, datetime]
    watch_started: datetime | None
    now: datetime

    def lasted(self, subordernumber: str) -> str | None:
        """ "released after 2 h 14 min", "held since before orderbot started watching"."""
        began = self.since.get(subordernumber)
        if began is None:
            return None
        if self.watch_started is not None and began <= self.watch_started:
            return "held since before orderbot started watching"
        return f"released after {duration_words(self.now - began)}"


def build_alert(rule: Rule, event: Event, times: HoldTimes | None = None) -> NewAlert:
    """The message for one event matched by one rule.

    The rule's rendered message is the headline (for a released hold, with how long it
    lasted); the fields name the order, suborder, PO, event, and the new and previous status
    and hold, each as code and description.
    """
    fields = event.fields()
    headline = render(rule, fields)
    lasted = times.lasted(event.subordernumber) if times and event.kind == HOLD_RELEASED else None
    if lasted:
        headline += f" ({lasted})"
    cur, prev = event.current, event.previous
    none = "— (new shipment)"
    blocks: list[dict[str, Any]] = [
        _section(headline),
        {
            "type": "section",
            "fields": [
                _mrkdwn(cut(text, MAX_FIELD_TEXT))
                for text in (
                    f"*Order*\n{_fit(cur.ordernumber, 200)}",
                    f"*Suborder*\n{_fit(cur.subordernumber, 200)}",
                    f"*Customer PO*\n{_fit(cur.customerordernumber, 500) or '—'}",
                    f"*Event*\n{EVENT_LABELS.get(event.kind, _fit(event.kind, 100))}",
                    f"*Status*\n{_status(cur.statuscode, cur.status)}",
                    "*Previous status*\n"
                    + (_status(prev.statuscode, prev.status) if prev else none),
                    f"*Hold*\n{_hold(cur.holdreasoncode, cur.holdreason)}",
                    "*Previous hold*\n"
                    + (_hold(prev.holdreasoncode, prev.holdreason) if prev else none),
                )
            ],
        },
        _context(_about(rule, event)),
    ]
    return NewAlert(
        rule=rule.name,
        channel=rule.channel,
        kind=ALERT,
        ordernumbers=[cur.ordernumber],
        text=cut(headline, MAX_FALLBACK_TEXT),
        blocks=blocks,
        subject=subject_of(event),
        timing=timing_of(rule, times.now if times else None),
    )


# --- Digest ---------------------------------------------------------------------------------

_COLUMNS = (("Suborder", 18), ("PO", 16), ("Event", 14), ("Hold", 9), ("Status", 10))


def _cell(text: str, width: int) -> str:
    """One table cell: single line, no backticks (they would end the code block), padded
    to ``width`` on the raw text (escaping happens after padding, so columns line up)."""
    flat = " ".join(text.replace("`", "'").split())
    if len(flat) > width:
        flat = flat[: width - 1] + "…"
    return flat.ljust(width)


def _arrow(before: str | None, after: str, blank: str) -> str:
    """``before→after`` for the table; "new" when there was no before, ``blank`` for ""."""
    shown_before = "new" if before is None else (before or blank)
    return f"{shown_before}→{after or blank}"


def _row(event: Event) -> str:
    cur, prev = event.current, event.previous
    cells = (
        cur.subordernumber,
        cur.customerordernumber,
        event.kind,
        _arrow(prev.holdreasoncode if prev else None, cur.holdreasoncode, "-"),
        _arrow(prev.statuscode if prev else None, cur.statuscode, "open"),
    )
    line = "  ".join(_cell(c, w) for c, (_, w) in zip(cells, _COLUMNS, strict=True))
    return escape(line.rstrip())


def _legend(events: Iterable[Event]) -> str:
    holds: dict[str, str] = {}
    statuses: dict[str, str] = {}
    for e in events:
        for state in (e.current, e.previous):
            if state is None:
                continue
            if state.holdreasoncode and hold_description(state.holdreasoncode):
                holds.setdefault(state.holdreasoncode, hold_description(state.holdreasoncode))
            if state.statuscode and status_description(state.statuscode):
                statuses.setdefault(state.statuscode, status_description(state.statuscode))
    parts = ["- no hold, open = in progress/open order, new = new shipment"]
    if holds:
        parts.append("Holds: " + ", ".join(f"{c} {d}" for c, d in sorted(holds.items())))
    if statuses:
        parts.append("Status: " + ", ".join(f"{c} {d}" for c, d in sorted(statuses.items())))
    return escape(" · ".join(parts))


def build_digest(rule: Rule, events: list[Event], now: datetime | None = None) -> NewAlert:
    """One message for many events of one rule and channel: a table of the changes
    (suborder, PO, event, hold and status before → after), at most ``MAX_DIGEST_ROWS`` rows
    and then "…and N more"; ``ordernumbers`` lists every order involved."""
    orders = list(dict.fromkeys(e.ordernumber for e in events))
    counts: dict[str, int] = {}
    for e in events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    summary = ", ".join(f"{n} {EVENT_LABELS.get(k, k).lower()}" for k, n in counts.items())
    title = mentions(rule) + (
        f"*{len(events)} changes* on {len(orders)} order{'s' if len(orders) != 1 else ''}"
        f" for rule *{_fit(rule.name, 200)}*: {escape(summary)}"
    )
    blocks: list[dict[str, Any]] = [_section(title)]

    header = escape("  ".join(_cell(name, w) for name, w in _COLUMNS).rstrip())
    fence = "```"
    # Room for the fences, the header line and the newlines around them.
    per_table = MAX_SECTION_TEXT - 2 * len(fence) - len(header) - 3
    legend = _legend(events)
    notes = [_context(legend)] if legend else []
    notes.append(_context(_about(rule, events[0])))
    # The whole message stays within Slack's budget: what the title and the notes take, and
    # room for the "…and N more" line, leave this much for the tables.
    room = MAX_BLOCK_TEXT - block_text(blocks) - block_text(notes) - 200
    tables_allowed = MAX_BLOCKS - 2 - len(notes)
    shown = 0
    chunk: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal chunk, size, room
        if chunk:
            blocks.append(_section(f"{fence}\n{header}\n" + "\n".join(chunk) + fence))
            room -= block_text(blocks[-1])
            chunk, size = [], 0

    for event in events[:MAX_DIGEST_ROWS]:
        line = _row(event)
        if size + len(line) + 1 > per_table:
            flush()
            if len(blocks) - 1 >= tables_allowed:
                break
        if len(header) + 2 * len(fence) + 3 + size + len(line) + 1 > room:
            break  # the rest is counted in the "…and N more" line
        chunk.append(line)
        size += len(line) + 1
        shown += 1
    flush()

    if shown < len(events):
        blocks.append(
            _context(f"…and {len(events) - shown} more: `/order holds` shows what is on hold now")
        )
    blocks += notes

    listed = ", ".join(f"{e.kind} {e.subordernumber}" for e in events[:20])
    more = f", …and {len(events) - 20} more" if len(events) > 20 else ""
    text = cut(
        f"{mentions(rule)}{len(events)} changes for rule {escape(rule.name)}:"
        f" {escape(listed)}{more}",
        MAX_FALLBACK_TEXT,
    )
    return NewAlert(
        rule=rule.name,
        channel=rule.channel,
        kind=DIGEST,
        ordernumbers=orders,
        text=text,
        blocks=blocks,
        timing=timing_of(rule, now, settles=False),
    )


def build_alerts(
    events: list[Event],
    rules: RuleSet,
    *,
    digest_threshold: int = 5,
    times: HoldTimes | None = None,
) -> list[NewAlert]:
    """The messages a poll's events produce under the rules.

    For every (rule, channel) pair, the events it matches: up to ``digest_threshold`` become
    one alert each; more become one digest. Messages come in rule order, and within a rule
    in event order.
    """
    matched: dict[tuple[str, str], tuple[Rule, list[Event]]] = {
        (rule.name, rule.channel): (rule, []) for rule in rules
    }
    for event in events:
        fields = event.fields()
        for rule in rules.matching(fields):
            matched[(rule.name, rule.channel)][1].append(event)
    alerts: list[NewAlert] = []
    for rule, group in matched.values():
        if not group:
            continue
        if len(group) > digest_threshold:
            alerts.append(build_digest(rule, group, times.now if times else None))
        else:
            alerts.extend(build_alert(rule, event, times) for event in group)
    return alerts
