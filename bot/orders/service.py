"""``OrderService``: look an order up (here), and delete one safely (``deletes``)."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock, iso, utc_now
from bot.ingram.client import IngramClient
from bot.ingram.errors import InvalidArgumentError
from bot.ingram.models import Order, parse_order_ref
from bot.orders.deletes import CONFIRMATION_TTL, Deletes
from bot.orders.results import LookupResult
from bot.store import AsyncStore


class OrderService(Deletes):
    """Look up and delete orders for one Ingram account."""

    def __init__(
        self,
        client: IngramClient,
        store: AsyncStore | None = None,
        *,
        delete_allowed: frozenset[str] = frozenset(),
        clock: Clock = utc_now,
        confirmation_ttl: timedelta = CONFIRMATION_TTL,
    ) -> None:
        self.client = client
        self._store = store
        self.delete_allowed = delete_allowed
        self.clock = clock
        self.confirmation_ttl = confirmation_ttl

    @property
    def store(self) -> AsyncStore:
        """The database; only deletes need it (they are confirmed and audited)."""
        if self._store is None:
            raise RuntimeError("deleting orders needs a database (ORDERBOT_DB)")
        return self._store

    # --- look up ---------------------------------------------------------------------------

    async def lookup(self, text: str) -> LookupResult:
        """An order by its number, or by one of its suborder numbers (highlighted)."""
        ref = parse_order_ref(text)
        if ref is None:
            raise InvalidArgumentError(
                f"{text.strip()!r} is not an Ingram Micro order number such as 20-RD12H"
            )
        order = await self.client.find_order(ref.ordernumber)
        return LookupResult(text.strip(), [order] if order else [], ref.subordernumber)

    async def lookup_po(self, po: str) -> LookupResult:
        """Every order with this customer PO number, all pages."""
        orders = await self.client.find_by_po(po)
        return LookupResult(po.strip(), sorted(orders, key=_entry_key))


def _entry_key(order: Order) -> tuple[str, str]:
    return (iso(order.entrytimestamp) if order.entrytimestamp else "", order.ordernumber)
