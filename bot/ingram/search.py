"""``GET /orders/search`` (OrderLookupAPI v5): one page, every page, and whole orders.

Ingram pages its answer (at most 100 entries a page), may spread the entries of one order
over several pages and may send an entry that carries only a link to its order.
``search_pages`` reads exactly ceil(found / 100) pages and checks that they held every entry
Ingram reported (``IncompleteResultError`` otherwise: a partial result must never pass for a
whole one); ``merge`` makes one order of two entries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.ingram.errors import IncompleteResultError, InvalidArgumentError
from bot.ingram.models import Order, SearchPage, SearchQuery
from bot.ingram.parsing import parse_search_response
from bot.ingram.ratelimit import Priority
from bot.ingram.session import API_LOOKUP, ApiSession
from bot.ingram.settings import IngramSettings

MAX_PAGE_SIZE = 100


def search_params(
    settings: IngramSettings, query: SearchQuery, page_size: int, page_number: int
) -> dict[str, str]:
    """The query string of one search page for the account in ``settings``.

    Ingram matches parameter names exactly. The spec's parameter table writes them all in
    lower case, but its sample requests, Ingram's OpenAPI document for v5 and its generated
    SDK all send ``customerNumber`` (camelCase) and ``isocountrycode`` (lower case) here, and
    the rest in lower case (``../shared/specs/ingram-v5-evidence.md``).
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(f"page size must be 1 to {MAX_PAGE_SIZE}, not {page_size}")
    if page_number < 1:
        raise InvalidArgumentError(f"page number must be 1 or more, not {page_number}")
    return {
        "customerNumber": settings.customer_number,
        "isocountrycode": settings.country,
        **query.to_params(),
        "pagesize": str(page_size),
        "pagenumber": str(page_number),
    }


async def search_page(
    session: ApiSession,
    query: SearchQuery,
    *,
    page_size: int,
    page_number: int,
    priority: Priority,
) -> SearchPage:
    """One page of the search. "No data found" is an empty page."""
    params = search_params(session.settings, query, page_size, page_number)
    response = await session.call(
        "GET",
        f"{session.settings.api_root}/orders/search",
        params,
        api=API_LOOKUP,
        priority=priority,
    )
    return parse_search_response(response.content)


async def search_pages(
    session: ApiSession, query: SearchQuery, *, priority: Priority
) -> AsyncIterator[SearchPage]:
    """Every page of a search at page size 100: ceil(found / 100) calls, no more.

    Raises ``IncompleteResultError`` after the last page when the pages held fewer entries
    than the largest ``ordersfound`` Ingram reported (an empty or short page before the end).
    """
    number = 1
    reported = received = 0
    while True:
        page = await search_page(
            session, query, page_size=MAX_PAGE_SIZE, page_number=number, priority=priority
        )
        reported = max(reported, page.ordersfound)
        received += len(page.orders)
        if not page.orders or number >= page_count(page):
            if received < reported:
                raise IncompleteResultError(reported, received, number)
            yield page
            return
        yield page
        number += 1


def page_count(page: SearchPage) -> int:
    """Pages in the result; when the count is missing, keep going while pages are full."""
    if page.ordersfound > 0 and page.pagesize > 0:
        return page.pages
    return page.pagenumber + 1 if len(page.orders) >= MAX_PAGE_SIZE else page.pagenumber


def merge(known: Order | None, new: Order) -> Order:
    """One order from two entries: details win over links, suborders are united."""
    if known is None:
        return new
    if not new.details:
        return known if known.details else new
    if not known.details:
        return new
    subs = {s.subordernumber: s for s in known.suborders}
    subs.update((s.subordernumber, s) for s in new.suborders)
    return Order(
        ordernumber=known.ordernumber,
        entrytimestamp=known.entrytimestamp or new.entrytimestamp,
        customerordernumber=known.customerordernumber or new.customerordernumber,
        suborders=tuple(subs.values()),
        links=known.links or new.links,
        details=True,
    )
