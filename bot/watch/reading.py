"""Reading the poll's window from Ingram: every order entered in it, page by page, kept
only as snapshot rows (the orders themselves are not kept, and each distinct code and text
is one shared string)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.ingram.client import IngramClient
from bot.ingram.models import SearchQuery
from bot.ingram.ratelimit import Priority
from bot.store import SuborderState
from bot.watch.changes import rows_from_orders


@dataclass
class Fetched:
    """What a poll read: one row per shipment (last reading wins) and the order count."""

    rows: dict[str, SuborderState]
    orders: int
    link_only: int


async def read_window(client: IngramClient, start: datetime, end: datetime) -> Fetched:
    """Every order entered in [start, end], page by page, kept only as snapshot rows."""
    rows: dict[str, SuborderState] = {}
    numbers: set[str] = set()
    link_only = 0
    texts: dict[str, str] = {}
    query = SearchQuery(start=start, end=end)
    async for page in client.iter_pages(query, priority=Priority.BACKGROUND):
        for order in page.orders:
            numbers.add(order.ordernumber)
            if not order.details:
                link_only += 1
        for row in rows_from_orders(page.orders):
            rows[row.subordernumber] = _compact(row, texts)
    return Fetched(rows, len(numbers), link_only)


def _compact(row: SuborderState, texts: dict[str, str]) -> SuborderState:
    """The row with one shared string object per distinct code and text: a poll reads the
    same few statuses and hold reasons 100,000 times, and each parsed copy costs ~60 bytes."""
    return SuborderState(
        row.subordernumber,
        row.ordernumber,
        row.customerordernumber,
        row.entrytimestamp,
        texts.setdefault(row.statuscode, row.statuscode),
        texts.setdefault(row.status, row.status),
        texts.setdefault(row.holdreasoncode, row.holdreasoncode),
        texts.setdefault(row.holdreason, row.holdreason),
    )
