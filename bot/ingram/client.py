"""An async client for Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5.

Ingram's own SDK caches no token, throttles nothing and retries nothing. This client does
all three, in the ``ApiSession`` it extends (``session.py``): one cached token for every
caller, one rate budget for the whole process, and bounded retries with backoff for 5xx
answers, timeouts and connection errors. Every call has a timeout. The network is pluggable
(``transport``), as in httpx, so tests can point the client at anything. Searches are paged
in ``search.py``; the delete flow, which never repeats a DELETE blindly, is ``delete.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from bot.ingram.delete import safe_delete
from bot.ingram.errors import InvalidArgumentError
from bot.ingram.models import DeleteResult, Order, SearchPage, SearchQuery, parse_order_ref
from bot.ingram.ratelimit import Priority
from bot.ingram.search import merge, search_page, search_pages
from bot.ingram.session import ApiSession


class IngramClient(ApiSession):
    """The client for one account (``settings``): Ingram's order operations on an
    ``ApiSession``, whose keyword options it takes (``transport``, ``limiter``, ``retry``,
    ``clock``, ``sleep``, ``rng``, ``on_call``). Use it inside ``async with``."""

    @property
    def customer_number(self) -> str:
        return self.settings.customer_number

    @property
    def country(self) -> str:
        return self.settings.country

    def __repr__(self) -> str:
        return (
            f"<IngramClient {self.settings.api_root} customer={self.customer_number}"
            f" country={self.country}>"
        )

    # --- OrderLookupAPI --------------------------------------------------------------------

    async def search(
        self,
        query: SearchQuery,
        *,
        page_size: int = 25,
        page_number: int = 1,
        priority: Priority = Priority.INTERACTIVE,
    ) -> SearchPage:
        """One page of ``GET /orders/search``. "No data found" is an empty page."""
        return await search_page(
            self, query, page_size=page_size, page_number=page_number, priority=priority
        )

    def iter_pages(
        self, query: SearchQuery, *, priority: Priority = Priority.INTERACTIVE
    ) -> AsyncIterator[SearchPage]:
        """Every page of a search at page size 100: ceil(found / 100) calls, no more."""
        return search_pages(self, query, priority=priority)

    async def iter_orders(
        self, query: SearchQuery, *, priority: Priority = Priority.INTERACTIVE
    ) -> AsyncIterator[Order]:
        """Every order entry of a search, page by page (page size 100)."""
        async for page in self.iter_pages(query, priority=priority):
            for order in page.orders:
                yield order

    async def find_orders(
        self, query: SearchQuery, *, priority: Priority = Priority.INTERACTIVE
    ) -> list[Order]:
        """All orders of a search, complete: entries of one order spread over pages are
        merged, and entries that carry only a link are fetched by their order number."""
        merged: dict[str, Order] = {}
        async for order in self.iter_orders(query, priority=priority):
            merged[order.ordernumber] = merge(merged.get(order.ordernumber), order)
        for number, order in list(merged.items()):
            if not order.details and query.ordernumber is None:
                full = await self.find_order(number, priority=priority)
                if full is not None:
                    merged[number] = full
        return list(merged.values())

    async def find_order(
        self, ordernumber: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> Order | None:
        """The order with this number (a suborder number finds its order), or None."""
        ref = parse_order_ref(ordernumber)
        if ref is None:
            raise InvalidArgumentError(
                f"{ordernumber!r} is not an Ingram Micro order number such as 20-RD12H"
            )
        orders = await self.find_orders(SearchQuery(ordernumber=ref.ordernumber), priority=priority)
        return next((o for o in orders if o.ordernumber == ref.ordernumber), None)

    async def find_by_po(
        self, customerordernumber: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> list[Order]:
        """Every order with this customer purchase order number (all pages)."""
        po = customerordernumber.strip()
        if not po:
            raise InvalidArgumentError("a customer PO number is needed")
        return await self.find_orders(SearchQuery(customerordernumber=po), priority=priority)

    # --- OrderDeleteAPI --------------------------------------------------------------------

    async def delete_order(self, ordernumber: str, entrydate: str | date) -> DeleteResult:
        """``DELETE /orders/{ordernumber}`` with all four mandatory parameters.

        The entry date is validated (``YYYY-MM-DD``) before anything is sent. A retry after
        a 5xx that answers "already deleted" counts as deleted. A DELETE whose answer was lost
        is not repeated blindly: the order is looked up, and a deleted order counts as
        deleted; only an order that is still there is deleted again.
        """
        return await safe_delete(self, self.find_order, ordernumber, entrydate)
