"""One call to Ingram Micro's APIs, made safely: the base of ``IngramClient``.

``ApiSession`` owns what every call shares: the connection pool (on a pluggable httpx
transport), one cached token for every caller (``TokenCache``), one rate budget for the whole
process (``RateLimiter``) and the availability-window check. ``call`` sends one request
through all of them, with bounded retries and backoff for 5xx answers, timeouts and connection
errors; every call has a timeout. A call that must not be repeated blindly (a DELETE) raises
``MaybeSent`` when its answer was lost, and the caller decides what to do.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Self

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
    OutsideWindowError,
    ResponseFormatError,
    UnauthorizedError,
    UnavailableError,
)
from bot.ingram.parsing import loads_lenient, preamble
from bot.ingram.ratelimit import Priority, RateLimiter, Sleep
from bot.ingram.settings import IngramSettings
from bot.ingram.windows import is_available, next_opening, window_for
from bot.log import add_secrets, redact

log = logging.getLogger("orderbot.ingram")

#: Ingram calls in flight at once: below the 60-a-minute budget, so it never holds back a call
#: the budget allows. More would wait inside httpx's connection pool, whose bookkeeping grows
#: with its queue and its idle connections and stalls the event loop (Slack's acks with it).
MAX_CONNECTIONS = 50
#: Idle connections kept open for the next calls.
KEEPALIVE_CONNECTIONS = 10
#: How many 429 answers in a row one call accepts before giving up (each waits for a reset).
MAX_RATE_LIMITED = 10
#: Ingram's words in an error message are cut to this many characters.
MAX_DETAIL = 200


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


#: The APIs a ``CallRecord`` names: OrderLookupAPI's search, OrderDeleteAPI, the OAuth token.
API_LOOKUP, API_DELETE, API_TOKEN = "lookup", "delete", "token"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One HTTP request the client sent to Ingram (each retry is one): the API (``lookup``,
    ``delete`` or ``token``), the HTTP method, the status Ingram answered (None when no
    answer came: a timeout, a connection error) and how long it took, in seconds."""

    api: str
    method: str
    status: int | None
    seconds: float


#: What ``on_call`` is given after every request: the client's hook for metrics or logs.
CallObserver = Callable[[CallRecord], None]


class MaybeSent(Exception):
    """A request may have reached Ingram but its answer was lost (read timeout, broken
    connection). Raised only for calls that must not be repeated blindly."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


SAFE_TO_RESEND = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return type(exc).__name__


def _fault_detail(response: httpx.Response) -> str:
    """A short, secret-free description of an error body (Apigee fault or preamble): an
    upstream may echo the client ID, the secret or the token in it, and they are masked."""
    return redact(" ".join(_fault_text(response).split()), MAX_DETAIL)


def _fault_text(response: httpx.Response) -> str:
    try:
        data = loads_lenient(response.content)
    except ResponseFormatError:
        return response.text[: MAX_DETAIL * 4]
    if isinstance(data, Mapping):
        fault = data.get("fault")
        if isinstance(fault, Mapping):
            return str(fault.get("faultstring", ""))
        for key in ("error_description", "error", "message"):
            if data.get(key):
                return str(data[key])
        return preamble(data)[1]
    return ""


class ApiSession:
    """The connection pool, token, rate budget and retry policy for one account (``settings``).

    ``transport`` is the httpx transport to send through, ``limiter`` the rate budget
    (default: ``settings.rate_limit`` calls per 60 s), ``retry`` the backoff policy; ``clock``,
    ``sleep`` and ``rng`` make time and jitter a parameter. ``on_call`` is called with a
    ``CallRecord`` after every request sent (a failing hook is logged, never raised).
    ``windows_enforced`` starts from the settings and may be changed while the session runs.
    Use it inside ``async with``.
    """

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
        on_call: CallObserver | None = None,
    ) -> None:
        self.settings = settings
        self.on_call = on_call
        add_secrets([settings.client_id, settings.client_secret])
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
        self._tokens = TokenCache(self.request_token, clock=clock)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def _observe(self, api: str, method: str, status: int | None, started: float) -> None:
        """Tell ``on_call`` about one request; its failure is logged, never the call's."""
        if self.on_call is None:
            return
        try:
            self.on_call(CallRecord(api, method, status, time.perf_counter() - started))
        except Exception:
            log.exception("the on_call hook failed (the call itself went on)")

    # --- availability windows --------------------------------------------------------------

    def check_window(self) -> None:
        """Raise ``OutsideWindowError`` when the account's country is outside its window
        (and windows are enforced)."""
        if not self.windows_enforced:
            return
        now = self._clock()
        if not is_available(self.settings.country, now):
            raise OutsideWindowError(
                self.settings.country,
                next_opening(self.settings.country, now),
                window_for(self.settings.country).describe(),
            )

    # --- token -----------------------------------------------------------------------------

    async def request_token(self) -> Token:
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
            started = time.perf_counter()
            try:
                self.stats.token_requests += 1
                response = await self._http.post(self.settings.token_url, data=form)
                status = response.status_code
            except httpx.TransportError as exc:
                self._observe(API_TOKEN, "POST", None, started)
                detail = _describe(exc)
            else:
                self._observe(API_TOKEN, "POST", status, started)
                if status == 200:
                    try:
                        data = loads_lenient(response.content)
                    except ResponseFormatError:
                        raise ResponseFormatError("the token response is not JSON") from None
                    return parse_token_response(data, self._clock())
                if status in (400, 401, 403):
                    raise CredentialsError(status, _fault_detail(response))
                if status == 404:
                    raise EndpointNotFoundError(self.settings.token_url)
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

    async def call(
        self,
        method: str,
        url: str,
        params: Mapping[str, str],
        *,
        api: str,
        priority: Priority,
        resend_if_unsure: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one API call (of ``api``, for ``on_call``) through the window check, rate
        budget and token cache.

        Retries: a 401 once with a new token; a 429 after the server's reset; 5xx answers,
        timeouts and connection errors with backoff, ``retry.attempts`` tries in all. With
        ``resend_if_unsure=False`` a call whose answer was lost raises ``MaybeSent``
        instead of being sent again. ``headers`` are sent besides the bearer token. Returns
        the 200 response; raises a typed error.
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
                        method,
                        url,
                        params=params,
                        headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                    )
            except httpx.TransportError as exc:
                self._observe(api, method, None, started)
                detail = _describe(exc)
                log.warning("ingram %s %s: %s (attempt %d)", method, _path(url), detail, attempt)
                if not resend_if_unsure and not isinstance(exc, SAFE_TO_RESEND):
                    raise MaybeSent(detail) from None
                if attempt >= self.retry.attempts:
                    raise UnavailableError(None, attempt, detail) from None
                self.stats.retries += 1
                await self._sleep(self.retry.delay(attempt, self._rng))
                continue
            status = response.status_code
            self._observe(api, method, status, started)
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


def _path(url: str) -> str:
    return httpx.URL(url).path
