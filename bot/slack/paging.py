"""Long answers in pages that fit Slack, with Previous and Next buttons.

A message never grows past ``budget.MAX_BLOCK_TEXT``, and nothing is cut silently: a list of
lines that does not fit (the shipments of an order, the orders of a PO, what is on hold) is
split into pages, each page a message of its own. Every page carries the same head (which
says how many there are in all) and tail (its buttons), the lines of the page, and a line
saying which page this is, with Previous/Next buttons whose value (``PageRef``) says which
answer and which page to show. Pressing one replaces the ephemeral message with that page.

Pages are cut greedily by size from the first line, so page N is the same page every time
the same lines are paged. A page that starts inside a group of lines (the shipments of one
order in a PO's answer, one hold code's shipments) repeats the group's heading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.slack.blocks import (
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREVIOUS,
    SECTION_ROOM,
    Block,
    actions,
    button,
    context,
    pack,
)
from bot.slack.budget import MAX_BLOCK_TEXT, block_text
from bot.slack.mrkdwn import truncate

#: The answers that come in pages: what ``PageRef.query`` is for each.
KINDS = {
    "lookup": "an order or shipment number",
    "po": "a customer PO",
    "holds": "a hold code, or empty for every hold",
    "delete": "a delete confirmation's id",
}
#: Room kept on every page for its page line and buttons.
NAV_ROOM = 400
CONTINUED = " _(continued)_"


@dataclass(frozen=True)
class PageRef:
    """Which answer (``kind``, ``query``) and which page of it: a page button's value."""

    kind: str
    query: str
    page: int = 1

    def at(self, page: int) -> PageRef:
        return PageRef(self.kind, self.query, page)

    def value(self) -> str:
        return json.dumps({"k": self.kind, "q": self.query, "p": self.page}, separators=(",", ":"))

    @classmethod
    def parse(cls, value: str) -> PageRef | None:
        """The ref in a button's value; None for anything else."""
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        kind, query, page = data.get("k"), data.get("q"), data.get("p")
        if kind not in KINDS or not isinstance(query, str) or type(page) is not int:
            return None
        return cls(kind, query, max(1, page))


@dataclass(frozen=True)
class Listing:
    """The lines to page through; ``headings`` are the indices of lines that head a group."""

    lines: Sequence[str]
    headings: frozenset[int] = frozenset()

    def heading_before(self, index: int) -> int | None:
        """The heading of the group line ``index`` is in (None: it is in none, or heads it)."""
        if index in self.headings:
            return None
        earlier = [h for h in self.headings if h < index]
        return max(earlier) if earlier else None


def _size(line: str) -> int:
    return min(len(line), SECTION_ROOM) + 1


def page_bounds(listing: Listing, room: int) -> list[tuple[int, int]]:
    """(first, end) line indices of every page, each page's lines within ``room`` characters
    (a repeated heading counted in)."""
    bounds: list[tuple[int, int]] = []
    lines = listing.lines
    start = 0
    while start < len(lines):
        heading = listing.heading_before(start)
        used = _size(lines[heading]) + len(CONTINUED) if heading is not None else 0
        end = start
        while end < len(lines) and (end == start or used + _size(lines[end]) <= room):
            used += _size(lines[end])
            end += 1
        bounds.append((start, end))
        start = end
    return bounds or [(0, 0)]


@dataclass(frozen=True)
class Paged:
    """The blocks of one page, which page it is and how many there are."""

    blocks: list[Block]
    page: int
    pages: int


def paged(
    head: list[Block], listing: Listing, tail: list[Block], ref: PageRef, *, hint: str = ""
) -> Paged:
    """Page ``ref.page`` of ``listing`` between ``head`` and ``tail``: within the budget, with
    a page line (and ``hint``, a way to narrow the answer down) and buttons when there is more
    than one page. A page past the end shows the last one."""
    room = max(MAX_BLOCK_TEXT - block_text(head) - block_text(tail) - NAV_ROOM, 2 * SECTION_ROOM)
    bounds = page_bounds(listing, room)
    number = min(max(ref.page, 1), len(bounds))
    first, end = bounds[number - 1]
    lines = list(listing.lines[first:end])
    heading = listing.heading_before(first)
    if heading is not None:
        lines.insert(0, listing.lines[heading] + CONTINUED)
    body, _left = pack(lines, len(lines) + 1)
    blocks = [*head, *body]
    if len(bounds) > 1:
        blocks += navigation(ref.at(number), len(bounds), hint)
    return Paged([*blocks, *tail], number, len(bounds))


def navigation(ref: PageRef, pages: int, hint: str) -> list[Block]:
    """The page line and its Previous/Next buttons."""
    note = f"Page {ref.page} of {pages}." + (f" {hint}" if hint else "")
    buttons = []
    if ref.page > 1:
        buttons.append(button("Previous", ACTION_PAGE_PREVIOUS, ref.at(ref.page - 1).value()))
    if ref.page < pages:
        buttons.append(button("Next", ACTION_PAGE_NEXT, ref.at(ref.page + 1).value()))
    return [context(truncate(note, NAV_ROOM - 100)), actions(*buttons, block_id="pages")]
