"""An async client for Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5.

Ingram's own SDK caches no token, throttles nothing and retries nothing. This client does
all three: one cached token for every caller (``TokenCache``), one rate budget for the whole
process (``RateLimiter``), and bounded retries with backoff for 5xx answers, timeouts and
connection errors. Every call has a timeout. The network is pluggable (``transport``), as in
httpx, so tests can point the client at anything.

A DELETE whose answer never arrived has an unknown outcome: it is not repeated blindly; the
order is looked up first, and only an order that is still there is deleted again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import httpx

from bot import __version__
from bot.clock import Clock, utc_now
from bot.ingram.auth import Token, TokenCache, parse_token_response
from bot.ingram.codes import RETRYABLE_HTTP_CODES
from bot.ingram.errors import (
    AccessNotApprovedError,
    BadRequestError,
    CredentialsError,
    EndpointNotFoundError,
    ForbiddenError,
    IngramError,
    InvalidArgumentError,
    OutcomeUnknownError,
    OutsideWindowError,
    ResponseFormatError,
    UnauthorizedError,
    UnavailableError,
)
from bot.ingram.models import (
    DeleteOutcome,
    DeleteResult,
    Order,
    SearchPage,
    SearchQuery,
    is_deleted,
    parse_entry_date,
    parse_order_ref,
)
from bot.ingram.parsing import (
    loads_lenient,
    parse_delete_response,
    parse_search_response,
    preamble,
)
from bot.ingram.ratelimit import Priority, RateLimiter, Sleep
from bot.ingram.settings import IngramSettings
from bot.ingram.windows import is_available, next_opening, window_for

log = logging.getLogger("orderbot.ingram")

MAX_PAGE_SIZE = 100
#: Ingram calls in flight at once: below the 60-a-minute budget, so it never holds back a call
#: the budget allows. More would wait inside httpx's connection pool, whose bookkeeping grows
#: with its queue and its idle connections and stalls the event loop (Slack's acks with it).
MAX_CONNECTIONS = 50
#: Idle connections kept open for the next calls.
KEEPALIVE_CONNECTIONS = 10
#: How many 429 answers in a row one call accepts before giving up (each waits for a reset).
MAX_RATE_LIMITED = 10


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for 5xx answers, timeouts and network errors."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): half fixed, half random."""
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class ClientStats:
    """Counters of what the client sent, for status pages, tests and benchmarks."""

    calls: int = 0
    token_requests: int = 0
    retries: int = 0
    rate_limited: int = 0


class _MaybeSent(Exception):
    """A request may have reached Ingram but its answer was lost (read timeout, broken
    connection). Raised only for calls that must not be repeated blindly."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


_SAFE_TO_RESEND = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return type(exc).__name__


def _fault_detail(response: httpx.Response) -> str:
    """A short, secret-free description of an error body (Apigee fault or preamble)."""
    try:
        data = loads_lenient(response.content)
    except ResponseFormatError:
        return response.text.strip()[:200]
    if isinstance(data, Mapping):
        fault = data.get("fault")
        if isinstance(fault, Mapping):
            return str(fault.get("faultstring", ""))[:200]
        for key in ("error_description", "error", "message"):
            if data.get(key):
                return str(data[key])[:200]
        return preamble(data)[1][:200]
    return ""


class IngramClient:
    """The client for one account (``settings``); use it inside ``async with``."""

    def __init__(
        self,
        settings: IngramSettings,
        *,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.customer_number = settings.customer_number
        self.country = settings.country
        self.api_root = settings.api_root
        self.token_url = settings.token_url
        self.windows_enforced = settings.windows_enforced
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter(settings.rate_limit, 60.0, clock=clock, sleep=sleep)
        self.stats = ClientStats()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        timeout = settings.timeout
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=KEEPALIVE_CONNECTIONS
            ),
            headers={"User-Agent": f"orderbot/{__version__}", "Accept": "application/json"},
        )
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._tokens = TokenCache(self._request_token, clock=clock)

    def __repr__(self) -> str:
        return (
            f"<IngramClient {self.api_root} customer={self.customer_number} country={self.country}>"
        )

    async def __aenter__(self) -> IngramClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # --- availability windows --------------------------------------------------------------

    def check_window(self) -> None:
        """Raise ``OutsideWindowError`` when the account's country is outside its window
        (and windows are enforced)."""
        if not self.windows_enforced:
            return
        now = self._clock()
        if not is_available(self.country, now):
            raise OutsideWindowError(
                self.country,
                next_opening(self.country, now),
                window_for(self.country).describe(),
            )

    # --- token -----------------------------------------------------------------------------

    async def _request_token(self) -> Token:
        """POST the client credentials to the token endpoint (retrying 5xx and network errors)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
        }
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            try:
                self.stats.token_requests += 1
                response = await self._http.post(self.token_url, data=form)
                status = response.status_code
            except httpx.TransportError as exc:
                detail = _describe(exc)
            else:
                if status == 200:
                    try:
                        data = loads_lenient(response.content)
                    except ResponseFormatError:
                        raise ResponseFormatError("the token response is not JSON") from None
                    return parse_token_response(data, self._clock())
                if status in (400, 401, 403):
                    raise CredentialsError(status, _fault_detail(response))
                if status == 404:
                    raise EndpointNotFoundError(self.token_url)
                if status not in RETRYABLE_HTTP_CODES:
                    raise IngramError(
                        f"Ingram Micro's token endpoint answered {status}.", status=status
                    )
                detail = f"HTTP {status}"
            if attempt >= self.retry.attempts:
                raise UnavailableError(status, attempt, detail)
            self.stats.retries += 1
            await self._sleep(self.retry.delay(attempt, self._rng))

    # --- the one request loop --------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        params: Mapping[str, str],
        *,
        priority: Priority,
        resend_if_unsure: bool = True,
    ) -> httpx.Response:
        """Send one API call through the window check, rate budget and token cache.

        Retries: a 401 once with a new token; a 429 after the server's reset; 5xx answers,
        timeouts and connection errors with backoff, ``retry.attempts`` tries in all. With
        ``resend_if_unsure=False`` a call whose answer was lost raises ``_MaybeSent``
        instead of being sent again. Returns the 200 response; raises a typed error.
        """
        attempt = 0
        refreshed = False
        rate_limited = 0
        while True:
            self.check_window()
            await self.limiter.acquire(priority)
            token = await self._tokens.get()
            attempt += 1
            started = time.perf_counter()
            try:
                self.stats.calls += 1
                async with self._slots:
                    response = await self._http.request(
                        method, url, params=params, headers={"Authorization": f"Bearer {token}"}
                    )
            except httpx.TransportError as exc:
                detail = _describe(exc)
                log.warning("ingram %s %s: %s (attempt %d)", method, _path(url), detail, attempt)
                if not resend_if_unsure and not isinstance(exc, _SAFE_TO_RESEND):
                    raise _MaybeSent(detail) from None
                if attempt >= self.retry.attempts:
                    raise UnavailableError(None, attempt, detail) from None
                self.stats.retries += 1
                await self._sleep(self.retry.delay(attempt, self._rng))
                continue
            status = response.status_code
            log.debug(
                "ingram %s %s -> %d in %.0f ms",
                method,
                _path(url),
                status,
                (time.perf_counter() - started) * 1000,
            )
            wait = self.limiter.observe(status, response.headers)
            if status == 200:
                return response
            if status == 401:
                detail = _fault_detail(response)
                if "apiproduct" in detail.replace(" ", "").lower():
                    raise AccessNotApprovedError()
                if refreshed:
                    raise UnauthorizedError()
                self._tokens.invalidate(token)
                refreshed = True
                attempt -= 1
                continue
            if status == 429:
                self.stats.rate_limited += 1
                rate_limited += 1
                log.info("ingram rate limit reached; waiting %.1f s for the reset", wait)
                if rate_limited > MAX_RATE_LIMITED:
                    raise UnavailableError(429, attempt, "rate limited")
                attempt -= 1
                continue
            if status in RETRYABLE_HTTP_CODES:
                log.warning(
                    "ingram %s %s: HTTP %d (attempt %d)", method, _path(url), status, attempt
                )
                if attempt >= self.retry.attempts:
                    raise UnavailableError(status, attempt)
                self.stats.retries += 1
                await self._sleep(self.retry.delay(attempt, self._rng))
                continue
            if status == 400:
                raise BadRequestError(_fault_detail(response))
            if status == 403:
                raise ForbiddenError()
            if status == 404:
                raise EndpointNotFoundError(_path(url))
            raise IngramError(
                f"Ingram Micro answered HTTP {status}: {_fault_detail(response)}", status=status
            )

    # --- OrderLookupAPI --------------------------------------------------------------------

    def _search_params(
        self, query: SearchQuery, page_size: int, page_number: int
    ) -> dict[str, str]:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidArgumentError(f"page size must be 1 to {MAX_PAGE_SIZE}, not {page_size}")
        if page_number < 1:
            raise InvalidArgumentError(f"page number must be 1 or more, not {page_number}")
        return {
            "customernumber": self.customer_number,
            "isocountrycode": self.country,
            **query.to_params(),
            "pagesize": str(page_size),
            "pagenumber": str(page_number),
        }

    async def search(
        self,
        query: SearchQuery,
        *,
        page_size: int = 25,
        page_number: int = 1,
        priority: Priority = Priority.INTERACTIVE,
    ) -> SearchPage:
        """One page of ``GET /orders/search``. "No data found" is an empty page."""
        params = self._search_params(query, page_size, page_number)
        response = await self._call(
            "GET", f"{self.api_root}/orders/search", params, priority=priority
        )
        return parse_search_response(response.content)

    async def iter_pages(
        self, query: SearchQuery, *, priority: Priority = Priority.INTERACTIVE
    ) -> AsyncIterator[SearchPage]:
        """Every page of a search at page size 100: ceil(found / 100) calls, no more."""
        number = 1
        while True:
            page = await self.search(
                query, page_size=MAX_PAGE_SIZE, page_number=number, priority=priority
            )
            yield page
            if not page.orders or number >= _page_count(page):
                return
            number += 1

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
            merged[order.ordernumber] = _merge(merged.get(order.ordernumber), order)
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
        ref = parse_order_ref(ordernumber)
        if ref is None or ref.subordernumber is not None:
            raise InvalidArgumentError(
                f"{ordernumber!r} is not an Ingram Micro order number such as 20-11852"
            )
        try:
            day = parse_entry_date(entrydate)
        except ValueError as exc:
            raise InvalidArgumentError(str(exc)) from None
        number = ref.ordernumber
        params = {
            "customernumber": self.customer_number,
            "isocountrycode": self.country,
            "entrydate": day.isoformat(),
        }
        url = f"{self.api_root}/orders/{quote(number, safe='')}"
        retried = still_there = False
        for _ in range(self.retry.attempts):
            try:
                retries_before = self.stats.retries
                response = await self._call(
                    "DELETE", url, params, priority=Priority.INTERACTIVE, resend_if_unsure=False
                )
                retried = retried or self.stats.retries > retries_before
            except _MaybeSent as lost:
                log.warning("ingram DELETE %s: %s; looking the order up first", number, lost.detail)
                retried = True
                try:
                    order = await self.find_order(number)
                except IngramError:
                    raise OutcomeUnknownError(number) from None
                if order is None:
                    return DeleteResult(
                        number,
                        DeleteOutcome.NOT_FOUND,
                        "The order was not found after the delete timed out.",
                        retried=True,
                    )
                if is_deleted(order):
                    return DeleteResult(
                        number,
                        DeleteOutcome.DELETED,
                        "Deleted (confirmed by a lookup).",
                        retried=True,
                    )
                still_there = True
                continue
            result = parse_delete_response(number, response.content)
            if retried and result.outcome is DeleteOutcome.ALREADY_DELETED:
                return DeleteResult(
                    number,
                    DeleteOutcome.DELETED,
                    result.message,
                    result.statuscode,
                    "None",
                    retried=True,
                )
            if retried:
                return DeleteResult(
                    number,
                    result.outcome,
                    result.message,
                    result.statuscode,
                    result.remedy,
                    retried=True,
                )
            return result
        if still_there:
            raise UnavailableError(None, self.retry.attempts, "timed out; the order is still there")
        raise OutcomeUnknownError(number)


def _path(url: str) -> str:
    return httpx.URL(url).path


def _page_count(page: SearchPage) -> int:
    """Pages in the result; when the count is missing, keep going while pages are full."""
    if page.ordersfound > 0 and page.pagesize > 0:
        return page.pages
    return page.pagenumber + 1 if len(page.orders) >= MAX_PAGE_SIZE else page.pagenumber


def _merge(known: Order | None, new: Order) -> Order:
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
