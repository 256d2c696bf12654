"""A local emulator of Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5 (aiohttp).

It behaves as the specs say, quirks included, so that a client cannot tell it from Ingram:

* ``POST /oauth/oauth30/token``: OAuth 2.0 client credentials; tokens expire by the state's
  clock; bad credentials are a 401.
* ``GET /resellers/v5/orders/search`` and ``DELETE /resellers/v5/orders/{ordernumber}``, and
  the same under ``/sandbox/resellers/v5/``: Apigee-style 401 faults for missing, unknown or
  expired tokens, a fixed-window rate limit with ``X-RateLimit-*`` headers and 429s, every
  filter and pagination of the search, every preamble outcome of the delete, and answers in
  both layouts the lookup spec shows (its sample's and its field table's).
* Injectable faults (``Fault``), latency, and a scenario clock that moves suborders on and
  off hold.
* A JSON control API under ``/_sandbox/`` (no auth) for demos and tests in other processes.

In-process use::

    running = await start_sandbox(SandboxState(clock=ManualClock()), port=0)
    ... running.url, running.state ...
    await running.stop()
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import json
import math
import re
import secrets
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Any, NamedTuple

from aiohttp import web

from bot.clock import Clock, utc_now
from bot.ingram.codes import (
    DELETE_ABEND,
    DELETE_ALREADY_DELETED,
    DELETE_BACKEND_503,
    DELETE_NOT_FOUND,
    DELETE_OK,
    DELETE_TECHNICAL_ERROR,
    DELETED_HOLD,
    DELETED_STATUS,
    HOLD_REASONS,
    ORDER_STATUSES,
    UNDELETABLE_STATUSES,
    DeletePreamble,
)
from bot.sandbox.ingram.scenario import Scenario, Step, default_scenario
from bot.sandbox.ingram.seed import (
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    SeedOrder,
    SeedSuborder,
    api_hold_text,
    api_status_text,
    build_seed,
    order_from_json,
    order_to_json,
)

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_COUNTRY",
    "SANDBOX_CUSTOMER",
    "Counters",
    "Fault",
    "FaultPlan",
    "RecordedRequest",
    "RunningSandbox",
    "SandboxState",
    "run_sandbox",
    "start_sandbox",
]

SANDBOX_CLIENT_ID = "orderbot-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's published demo secret

TOKEN_PATH = "/oauth/oauth30/token"  # noqa: S105 - a URL path, not a secret
API_PREFIXES = ("/resellers/v5/", "/sandbox/resellers/v5/")
CONTROL_PREFIX = "/_sandbox"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
STYLES = ("sample", "table", "alternate")

#: Delete preambles that a fault can answer with, by the name the control API uses.
PREAMBLES_BY_NAME: dict[str, DeletePreamble] = {
    "technical_error": DELETE_TECHNICAL_ERROR,
    "abend": DELETE_ABEND,
    "backend_503": DELETE_BACKEND_503,
    "not_found": DELETE_NOT_FOUND,
    "already_deleted": DELETE_ALREADY_DELETED,
}

_TOKEN_ALPHABET = string.ascii_letters + string.digits
_ENTRY_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_JSON = "application/json"


# --- faults ------------------------------------------------------------------------------------


@dataclass
class Fault:
    """Something to go wrong with the next matching request(s).

    * ``status``: answer this HTTP status with a small Apigee-style JSON body (a 429 also gets
      the rate headers and ``Retry-After: 1``). ``status=200`` answers normally (with ``delay``:
      a slow answer).
    * ``times``: how many matching requests it applies to (0 or less: until cleared).
    * ``method`` / ``path``: match only this method / paths containing this substring. With no
      ``path`` a fault matches API calls only (search, delete), not token requests; give a
      path such as ``"oauth"`` to fault the token endpoint.
    * ``delay``: sleep this long first (``asyncio.sleep``, other requests go on).
    * ``drop``: close the connection without answering.
    * ``apply_first``: carry the request out (a delete deletes), then answer the fault
      (``delay``, ``drop``, ``status`` or ``preamble``): an outcome the client never hears of.
    * ``preamble``: answer 200 with this delete preamble instead.
    """

    status: int = 503
    times: int = 1
    method: str | None = None
    path: str | None = None
    delay: float = 0.0
    drop: bool = False
    apply_first: bool = False
    preamble: DeletePreamble | None = None

    def matches(self, method: str, path: str, *, api: bool) -> bool:
        """Whether this fault applies to a request (``api``: search or delete)."""
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return api
        return self.path in path

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API shows it (the preamble by name)."""
        preamble = None
        if self.preamble is not None:
            preamble = next(
                (k for k, v in PREAMBLES_BY_NAME.items() if v == self.preamble),
                self.preamble.responsemessage,
            )
        return {
            "status": self.status,
            "times": self.times,
            "method": self.method,
            "path": self.path,
            "delay": self.delay,
            "drop": self.drop,
            "apply_first": self.apply_first,
            "preamble": preamble,
        }

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """A fault from the control API's JSON; raises ``ValueError`` saying what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        known = {"status", "times", "method", "path", "delay", "drop", "apply_first", "preamble"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; known: {sorted(known)}")
        try:
            preamble_name = data.get("preamble")
            preamble = None
            if preamble_name is not None:
                if preamble_name not in PREAMBLES_BY_NAME:
                    raise ValueError(
                        f"preamble {preamble_name!r} is not one of {sorted(PREAMBLES_BY_NAME)}"
                    )
                preamble = PREAMBLES_BY_NAME[preamble_name]
            status = int(data.get("status", 503))
            if not 100 <= status <= 599:
                raise ValueError(f"status {status} is not an HTTP status code")
            return cls(
                status=status,
                times=int(data.get("times", 1)),
                method=str(data["method"]).upper() if data.get("method") else None,
                path=str(data["path"]) if data.get("path") is not None else None,
                delay=float(data.get("delay", 0.0)),
                drop=bool(data.get("drop", False)),
                apply_first=bool(data.get("apply_first", False)),
                preamble=preamble,
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid fault: {exc}") from None


class FaultPlan:
    """Faults waiting to happen, matched in the order they were added."""

    def __init__(self) -> None:
        self._entries: list[list[Any]] = []  # [fault, uses left (None: unlimited)]

    def add(self, fault: Fault) -> None:
        """Queue a fault after those already queued."""
        self._entries.append([fault, fault.times if fault.times > 0 else None])

    def clear(self) -> None:
        """Forget every queued fault."""
        self._entries.clear()

    def take(self, method: str, path: str, *, api: bool) -> Fault | None:
        """The first fault matching this request, using up one of its ``times``."""
        for entry in self._entries:
            fault, left = entry
            if fault.matches(method, path, api=api):
                if left is not None:
                    entry[1] = left - 1
                    if entry[1] <= 0:
                        self._entries.remove(entry)
                return fault
        return None

    @property
    def pending(self) -> list[tuple[Fault, int | None]]:
        """The queued faults and how many uses each has left (None: until cleared)."""
        return [(f, left) for f, left in self._entries]

    def __len__(self) -> int:
        return len(self._entries)


# --- state -------------------------------------------------------------------------------------


class RecordedRequest(NamedTuple):
    """A request the sandbox answered (status 0: the connection was dropped)."""

    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class Counters:
    """What the sandbox has seen. Calls are counted on arrival, whatever the answer."""

    token_requests: int = 0
    search_calls: int = 0
    delete_calls: int = 0
    #: 429 answers sent (by the rate limit or by a fault).
    rate_limited: int = 0
    #: Token and API requests (not control API ones), in order; the token form is not kept.
    requests: list[RecordedRequest] = field(default_factory=list)

    def as_json(self) -> dict[str, int]:
        return {
            "token_requests": self.token_requests,
            "search_calls": self.search_calls,
            "delete_calls": self.delete_calls,
            "rate_limited": self.rate_limited,
            "requests": len(self.requests),
        }


@dataclass
class _Token:
    app: str
    expires_at: datetime


@dataclass
class _Window:
    start: datetime
    count: int = 0


def _order_key(order: SeedOrder) -> tuple[datetime, str]:
    return (order.entrytimestamp, order.ordernumber)


def _entry_time(order: SeedOrder) -> datetime:
    return order.entrytimestamp


class _CustomerIndex:
    """One customer's orders, sorted by (entry time, order number), and by PO."""

    def __init__(self) -> None:
        self.orders: list[SeedOrder] = []
        self.by_po: dict[str, list[SeedOrder]] = {}

    def insert(self, order: SeedOrder) -> None:
        bisect.insort(self.orders, order, key=_order_key)
        self.by_po.setdefault(order.customerordernumber, []).append(order)

    def remove(self, order: SeedOrder) -> None:
        i = bisect.bisect_left(self.orders, _order_key(order), key=_order_key)
        while i < len(self.orders) and self.orders[i] is not order:
            i += 1
        if i < len(self.orders):
            del self.orders[i]
        same_po = self.by_po.get(order.customerordernumber, [])
        if order in same_po:
            same_po.remove(order)


@dataclass
class SearchRequest:
    """A validated search: the customer, the filters and the page wanted."""

    customernumber: str
    country: str
    ordernumber: str | None = None
    customerordernumber: str | None = None
    orderstatus: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    pagesize: int = DEFAULT_PAGE_SIZE
    pagenumber: int = 1


@dataclass
class SearchResult:
    """The orders of the requested page (each with the suborders to list) and the total."""

    page: list[tuple[SeedOrder, list[SeedSuborder]]]
    ordersfound: int


class BadRequest(ValueError):
    """A request the API would answer with 400; the message says what is wrong."""


class SandboxState:
    """Everything the sandbox knows: orders, tokens, rate windows, faults, counters, clock.

    * ``clock``: drives token expiry, the rate window, ``X-RateLimit-Reset`` and the scenario.
    * ``orders``: the data set (default ``build_seed(clock())``); the list's objects are kept
      and changed in place by deletes and scenario steps.
    * ``scenario``: applied lazily on every request (None: nothing moves by itself).
    * ``rate_limit`` calls per ``rate_period`` seconds, per app, in a fixed window that starts
      with the first call after the previous window ended.
    * ``token_ttl``: token lifetime in seconds (sent as the string ``expires_in``).
    * ``response_style``: "sample" (the lookup spec's sample layout), "table" (its field
      table's layout) or "alternate" (sample, table, sample, ... one per search answer).
    * ``latency``: seconds added to every API call (not to token calls).
    * ``api_product_approved``: False makes every API call with a valid token a 401.
    Every setting is an attribute that may be changed while the sandbox runs.
    """

    def __init__(
        self,
        *,
        clock: Clock = utc_now,
        orders: list[SeedOrder] | None = None,
        scenario: Scenario | None = None,
        rate_limit: int = 60,
        rate_period: float = 60.0,
        token_ttl: int = 86399,
        response_style: str = "alternate",
        latency: float = 0.0,
        api_product_approved: bool = True,
    ) -> None:
        if response_style not in STYLES:
            raise ValueError(f"response_style must be one of {STYLES}, not {response_style!r}")
        self.clock = clock
        self.scenario = scenario
        self.rate_limit = rate_limit
        self.rate_period = rate_period
        self.token_ttl = token_ttl
        self.response_style = response_style
        self.latency = latency
        self.api_product_approved = api_product_approved
        self.client_id = SANDBOX_CLIENT_ID
        self.client_secret = SANDBOX_CLIENT_SECRET
        self.faults = FaultPlan()
        self.counters = Counters()
        #: Scenario steps applied so far: (k, step, when).
        self.scenario_log: list[tuple[int, Step, datetime]] = []
        self._tokens: dict[str, _Token] = {}
        self._windows: dict[str, _Window] = {}
        self._style_turn = 0
        self._abends = 0
        self._orders: dict[str, SeedOrder] = {}
        self._suborders: dict[str, tuple[SeedOrder, SeedSuborder]] = {}
        self._customers: dict[tuple[str, str], _CustomerIndex] = {}
        self._load(build_seed(clock()) if orders is None else orders)

    # --- counters (shortcuts to ``counters``) ---------------------------------------------

    @property
    def token_requests(self) -> int:
        return self.counters.token_requests

    @property
    def search_calls(self) -> int:
        return self.counters.search_calls

    @property
    def delete_calls(self) -> int:
        return self.counters.delete_calls

    @property
    def rate_limited(self) -> int:
        return self.counters.rate_limited

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.counters.requests

    def reset_counters(self) -> None:
        """Start counting from zero."""
        self.counters = Counters()

    # --- orders ---------------------------------------------------------------------------

    def _load(self, orders: list[SeedOrder]) -> None:
        """Index a whole list at once (a later order replaces an earlier one of that number)."""
        for order in orders:
            self._normalise(order)
            self._orders[order.ordernumber] = order
        groups: dict[tuple[str, str], list[SeedOrder]] = {}
        for order in self._orders.values():
            for s in order.suborders:
                self._suborders[s.subordernumber] = (order, s)
            groups.setdefault(self._customer_key(order), []).append(order)
        for key, group in groups.items():
            group.sort(key=_order_key)
            index = self._customers[key] = _CustomerIndex()
            index.orders = group
            for order in group:
                index.by_po.setdefault(order.customerordernumber, []).append(order)

    @staticmethod
    def _normalise(order: SeedOrder) -> None:
        order.ordernumber = order.ordernumber.strip().upper()
        order.customernumber = order.customernumber.strip()
        order.country = order.country.strip().upper()
        when = order.entrytimestamp
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        order.entrytimestamp = when.astimezone(UTC).replace(microsecond=0)
        for s in order.suborders:
            s.subordernumber = s.subordernumber.strip().upper()

    @staticmethod
    def _customer_key(order: SeedOrder) -> tuple[str, str]:
        return (order.customernumber.upper(), order.country.upper())

    def add_order(self, order: SeedOrder) -> None:
        """Add an order (or replace the one with the same number)."""
        self._normalise(order)
        old = self._orders.pop(order.ordernumber, None)
        if old is not None:
            self._customers[self._customer_key(old)].remove(old)
            for s in old.suborders:
                self._suborders.pop(s.subordernumber, None)
        self._orders[order.ordernumber] = order
        for s in order.suborders:
            self._suborders[s.subordernumber] = (order, s)
        self._customers.setdefault(self._customer_key(order), _CustomerIndex()).insert(order)

    def order(self, ordernumber: str) -> SeedOrder | None:
        """The stored order with this number (any customer), or None."""
        return self._orders.get(ordernumber.strip().upper())

    def suborder(self, subordernumber: str) -> SeedSuborder | None:
        """The stored suborder with this number, or None."""
        found = self._suborders.get(subordernumber.strip().upper())
        return found[1] if found else None

    @property
    def order_count(self) -> int:
        return len(self._orders)

    @property
    def suborder_count(self) -> int:
        return len(self._suborders)

    def set_suborder(
        self,
        subordernumber: str,
        *,
        statuscode: str | None = None,
        holdreasoncode: str | None = None,
        status: str | None = None,
        holdreason: str | None = None,
    ) -> None:
        """Change a suborder's codes and texts; texts left out follow the code tables.

        Raises ``KeyError`` for an unknown suborder and ``ValueError`` for a code that is not
        in the spec's tables.
        """
        found = self._suborders.get(subordernumber.strip().upper())
        if found is None:
            raise KeyError(f"no suborder {subordernumber!r} in the sandbox")
        s = found[1]
        if statuscode is not None:
            code = statuscode.strip().upper()
            if code not in ORDER_STATUSES:
                raise ValueError(f"statuscode {statuscode!r} is not an order status code")
            s.statuscode = code
            s.status = api_status_text(code) if status is None else status
        elif status is not None:
            s.status = status
        if holdreasoncode is not None:
            code = holdreasoncode.strip().upper()
            if code not in HOLD_REASONS:
                raise ValueError(f"holdreasoncode {holdreasoncode!r} is not a hold reason code")
            s.holdreasoncode = code
            s.holdreason = api_hold_text(code) if holdreason is None else holdreason
        elif holdreason is not None:
            s.holdreason = holdreason

    # --- scenario -------------------------------------------------------------------------

    def apply_due_steps(self) -> list[tuple[int, Step]]:
        """Apply the scenario steps due by the clock (called on every request).

        A step for a suborder that is gone or deleted is skipped: deleted orders stay deleted.
        """
        if self.scenario is None:
            return []
        now = self.clock()
        applied = []
        for k, step in self.scenario.due(now):
            current = self.suborder(step.subordernumber)
            if current is None or current.statuscode == DELETED_STATUS:
                continue
            self.set_suborder(
                step.subordernumber,
                statuscode=step.statuscode,
                holdreasoncode=step.holdreasoncode,
            )
            self.scenario_log.append((k, step, now))
            applied.append((k, step))
        return applied

    # --- tokens ---------------------------------------------------------------------------

    def issue_token(self, app: str) -> str:
        """A new access token for ``app``, valid for ``token_ttl`` seconds by the clock."""
        token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(28))
        self._tokens[token] = _Token(app, self.clock() + timedelta(seconds=self.token_ttl))
        return token

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (as if 24 hours had passed)."""
        now = self.clock()
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)

    def check_token(self, header: str | None) -> tuple[str | None, str | None]:
        """(app, None) for a valid bearer token, else (None, "invalid" | "expired")."""
        if not header:
            return None, "invalid"
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None, "invalid"
        token = self._tokens.get(value.strip())
        if token is None:
            return None, "invalid"
        if self.clock() >= token.expires_at:
            return None, "expired"
        return token.app, None

    # --- rate limit -----------------------------------------------------------------------

    def _window(self, app: str) -> _Window:
        now = self.clock()
        window = self._windows.get(app)
        if window is None or now >= window.start + timedelta(seconds=self.rate_period):
            window = self._windows[app] = _Window(now)
        return window

    def consume(self, app: str) -> bool:
        """Count one call of ``app``; False when its window's limit is already used up."""
        window = self._window(app)
        if window.count >= self.rate_limit:
            return False
        window.count += 1
        return True

    def rate_headers(self, app: str | None = None, *, retry_after: bool = False) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers for ``app``'s window (``Retry-After`` on request)."""
        window = self._window(app or self.client_id)
        reset = window.start + timedelta(seconds=self.rate_period)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - window.count)),
            "X-RateLimit-Reset": str(math.ceil(reset.timestamp() * 1000)),
        }
        if retry_after:
            seconds = (reset - self.clock()).total_seconds()
            headers["Retry-After"] = str(max(1, math.ceil(seconds)))
        return headers

    # --- search ---------------------------------------------------------------------------

    def next_style(self) -> str:
        """The layout of the next search answer ("sample" or "table")."""
        if self.response_style != "alternate":
            return self.response_style
        self._style_turn += 1
        return "sample" if self._style_turn % 2 else "table"

    def search(self, req: SearchRequest) -> SearchResult:
        """The orders matching a search, sorted by (entry time, order number), one page."""
        index = self._customers.get((req.customernumber.upper(), req.country.upper()))
        status = req.orderstatus
        if index is None:
            return SearchResult([], 0)
        if req.ordernumber is not None or req.customerordernumber is not None:
            if req.ordernumber is not None:
                order = self._orders.get(req.ordernumber)
                mine = order is not None and self._customer_key(order) == (
                    req.customernumber.upper(),
                    req.country.upper(),
                )
                pool = [order] if mine and order is not None else []
            else:
                pool = sorted(index.by_po.get(req.customerordernumber or "", []), key=_order_key)
            po = req.customerordernumber
            matches = [
                o
                for o in pool
                if (po is None or o.customerordernumber == po)
                and (req.start is None or o.entrytimestamp >= req.start)
                and (req.end is None or o.entrytimestamp <= req.end)
                and (status is None or any(s.statuscode == status for s in o.suborders))
            ]
            total = len(matches)
            first = (req.pagenumber - 1) * req.pagesize
            chosen = matches[first : first + req.pagesize]
        else:
            orders = index.orders
            lo = 0 if req.start is None else bisect.bisect_left(orders, req.start, key=_entry_time)
            hi = (
                len(orders)
                if req.end is None
                else bisect.bisect_right(orders, req.end, key=_entry_time)
            )
            first = (req.pagenumber - 1) * req.pagesize
            if status is None:
                total = max(0, hi - lo)
                chosen = orders[lo + first : min(hi, lo + first + req.pagesize)] if total else []
            else:
                matches = [
                    o for o in orders[lo:hi] if any(s.statuscode == status for s in o.suborders)
                ]
                total = len(matches)
                chosen = matches[first : first + req.pagesize]
        if status is None:
            page = [(o, o.suborders) for o in chosen]
        else:
            page = [(o, [s for s in o.suborders if s.statuscode == status]) for o in chosen]
        return SearchResult(page, total)

    # --- delete ---------------------------------------------------------------------------

    def delete(
        self, ordernumber: str, customernumber: str, country: str, entrydate: date
    ) -> tuple[DeletePreamble, str]:
        """Delete an order if the API would; the preamble row and the message to answer."""
        order = self._orders.get(ordernumber.strip().upper())
        if (
            order is None
            or order.customernumber.upper() != customernumber.strip().upper()
            or order.country.upper() != country.strip().upper()
            or order.entrytimestamp.astimezone(UTC).date() != entrydate
        ):
            return DELETE_NOT_FOUND, DELETE_NOT_FOUND.responsemessage
        subs = order.suborders
        if subs and all(s.statuscode == DELETED_STATUS for s in subs):
            return DELETE_ALREADY_DELETED, DELETE_ALREADY_DELETED.responsemessage
        if any(s.statuscode in UNDELETABLE_STATUSES for s in subs):
            return DELETE_ABEND, self.abend_message()
        for s in subs:
            s.statuscode = DELETED_STATUS
            s.status = api_status_text(DELETED_STATUS)
            s.holdreasoncode = DELETED_HOLD
            s.holdreason = api_hold_text(DELETED_HOLD)
        return DELETE_OK, f"{DELETE_OK.responsemessage} {order.ordernumber}"

    def abend_message(self) -> str:
        """The ABEND preamble's message with a transaction number where the spec has x's."""
        self._abends += 1
        return DELETE_ABEND.responsemessage.replace("xxxxxxxx", f"{40_000_000 + self._abends:08d}")

    # --- control API view -----------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        """A summary for ``GET /_sandbox/state``."""
        window = self._window(self.client_id)
        scenario = None
        if self.scenario is not None:
            nxt = self.scenario.next_due()
            scenario = {
                "start": _iso(self.scenario.start),
                "every": self.scenario.every.total_seconds(),
                "loop": self.scenario.loop,
                "applied": self.scenario.applied,
                "next_due": _iso(nxt) if nxt else None,
                "recent": [
                    {"k": k, "suborder": s.subordernumber, "note": s.note, "at": _iso(at)}
                    for k, s, at in self.scenario_log[-20:]
                ],
            }
        return {
            "clock": _iso(self.clock()),
            "style": self.response_style,
            "latency": self.latency,
            "approved": self.api_product_approved,
            "counters": self.counters.as_json(),
            "faults": [{**f.to_json(), "remaining": left} for f, left in self.faults.pending],
            "rate": {
                "limit": self.rate_limit,
                "period": self.rate_period,
                "used": window.count,
                "reset": _iso(window.start + timedelta(seconds=self.rate_period)),
            },
            "scenario": scenario,
            "orders": len(self._orders),
            "suborders": len(self._suborders),
        }


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


# --- request parsing ---------------------------------------------------------------------------


def _lower_query(request: web.Request) -> dict[str, str]:
    """Query parameters with case-insensitive names (the first of duplicates wins)."""
    params: dict[str, str] = {}
    for key, value in request.query.items():
        params.setdefault(key.lower(), value.strip())
    return params


def _positive_int(params: dict[str, str], name: str, default: int, top: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1 or (top is not None and value > top):
        limit = f"1 to {top}" if top is not None else "1 or more"
        raise BadRequest(f"{name} must be {limit}, not {value}")
    return value


def _timestamp(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        raise BadRequest(
            f"{name} {raw!r} is not an ISO 8601 UTC timestamp such as 2020-10-03T15:54:39Z"
        ) from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def parse_search(params: dict[str, str]) -> SearchRequest:
    """Validate the query of a search (names already lower-cased); raises ``BadRequest``."""
    customer = params.get("customernumber", "")
    country = params.get("isocountrycode", "")
    if not customer:
        raise BadRequest("customernumber is required")
    if not country:
        raise BadRequest("isocountrycode is required")
    status = params.get("orderstatus")
    if status is not None:
        status = status.upper()
        if status not in ORDER_STATUSES:
            raise BadRequest(f"orderstatus {status!r} is not an Ingram Micro order status code")
    number = params.get("ordernumber") or None
    po = params.get("customerordernumber") or None
    return SearchRequest(
        customernumber=customer,
        country=country,
        ordernumber=number.upper() if number else None,
        customerordernumber=po,
        orderstatus=status,
        start=_timestamp(params, "startcreatetimestamp"),
        end=_timestamp(params, "endcreatetimestamp"),
        pagesize=_positive_int(params, "pagesize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        pagenumber=_positive_int(params, "pagenumber", 1, None),
    )


def parse_delete(params: dict[str, str]) -> tuple[str, str, date]:
    """(customer, country, entry date) of a delete; raises ``BadRequest``."""
    for name in ("customernumber", "isocountrycode", "entrydate"):
        if not params.get(name):
            raise BadRequest(f"{name} is required")
    raw = params["entrydate"]
    if not _ENTRY_DATE.fullmatch(raw):
        raise BadRequest(f"entrydate {raw!r} is not in the format YYYY-MM-DD")
    try:
        entry = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"entrydate {raw!r} is not a real date (YYYY-MM-DD)") from None
    return params["customernumber"], params["isocountrycode"], entry


# --- response bodies ---------------------------------------------------------------------------


def _links(path: str, customer: str, country: str, topic: str = "orders") -> dict[str, str]:
    return {
        "topic": topic,
        "href": f"/resellers/v5/{path}?customerNumber={customer}&isoCountryCode={country}",
        "type": "GET",
    }


def _suborder_json(s: SeedSuborder, customer: str, country: str) -> dict[str, Any]:
    links = [_links(f"orders/{s.subordernumber}", customer, country)]
    if s.statuscode in ("F", "I"):
        links.append(_links(f"invoices/{s.subordernumber}", customer, country, "invoices"))
    return {
        "subordernumber": s.subordernumber,
        "statuscode": s.statuscode,
        "status": s.status,
        "holdreasoncode": s.holdreasoncode,
        "holdreason": s.holdreason,
        "links": links,
    }


def _order_json(
    order: SeedOrder, subs: list[SeedSuborder], style: str, *, full: bool
) -> dict[str, Any]:
    link = _links(f"orders/{order.ordernumber}", order.customernumber, order.country)
    links: Any = link if style == "sample" else [link]
    if not full:
        return {"links": links}
    return {
        "ordernumber": order.ordernumber,
        "entrytimestamp": order.entrytimestamp.strftime(_TIMESTAMP_FORMAT),
        "customerordernumber": order.customerordernumber,
        "suborders": [_suborder_json(s, order.customernumber, order.country) for s in subs],
        "links": links,
    }


def search_body(req: SearchRequest, result: SearchResult, style: str) -> dict[str, Any]:
    """A search answer in one of the spec's two layouts, "no data" forms included."""
    by_number = req.ordernumber is not None
    if not result.page:
        if by_number:
            status, message = "FAILED", "No data found"
        else:
            status, message = "SUCCESS", "No Data Found for given Search Criteria."
    else:
        status = "SUCCESS"
        message = "Data found" if style == "sample" else f"{result.ordersfound} Records Found."
    preamble = {"requeststatus": status, "returnmessage": message}
    found = result.ordersfound if result.page else 0
    counts: dict[str, Any] = {
        "ordersfound": found,
        "pagesize": req.pagesize,
        "pagenumber": req.pagenumber,
    }
    if style == "sample":
        counts = {k: str(v) for k, v in counts.items()}
    orders = [
        _order_json(o, subs, style, full=by_number or not o.link_only_in_search)
        for o, subs in result.page
    ]
    search = {**counts, "orders": orders}
    if style == "sample":
        body: dict[str, Any] = {"servicerresponse": {"responsepreamble": preamble}}
        if status == "SUCCESS":
            body["ordesearchresponse"] = search
        return body
    service: dict[str, Any] = {"responsepreamble": preamble}
    if status == "SUCCESS":
        service["ordesearchresponse"] = search
    return {"serviceresponse": service}


def delete_body(preamble: DeletePreamble, message: str) -> dict[str, Any]:
    """A delete answer: statuscode is the number 200 on success, a string otherwise."""
    code: Any = 200 if preamble.responsestatus == "SUCCESS" else preamble.statuscode
    return {
        "serviceresponse": {
            "responsepreamble": {
                "responsestatus": preamble.responsestatus,
                "statuscode": code,
                "responsemessage": message,
            }
        }
    }


def _bad_request_body(kind: str, message: str) -> dict[str, Any]:
    if kind == "delete":
        pre = {"responsestatus": "FAILED", "statuscode": "400", "responsemessage": message}
    else:
        pre = {"requeststatus": "FAILED", "statuscode": "400", "returnmessage": message}
    return {"serviceresponse": {"responsepreamble": pre}}


def _fault_body(faultstring: str, errorcode: str) -> dict[str, Any]:
    """An Apigee gateway fault."""
    return {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}


INVALID_TOKEN_BODY = _fault_body(
    "Invalid Access Token", "keymanagement.service.invalid_access_token"
)
EXPIRED_TOKEN_BODY = _fault_body(
    "Access Token expired", "keymanagement.service.access_token_expired"
)
NOT_APPROVED_BODY = _fault_body(
    "Invalid API call as no apiproduct match found",
    "keymanagement.service.InvalidAPICallAsNoApiProductMatchFound",
)
RATE_LIMITED_BODY = _fault_body(
    "Rate limit quota violation. Quota limit exceeded. Identifier : _default",
    "policies.ratelimit.QuotaViolation",
)

_STATUS_ERRORCODES = {
    500: "messaging.runtime.InternalServerError",
    502: "messaging.adaptors.http.flow.BadGateway",
    503: "messaging.adaptors.http.flow.ServiceUnavailable",
    504: "messaging.adaptors.http.flow.GatewayTimeout",
}


def _status_fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return RATE_LIMITED_BODY
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"HTTP {status}"
    errorcode = _STATUS_ERRORCODES.get(status, f"messaging.adaptors.http.flow.Status{status}")
    return _fault_body(phrase, errorcode)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type=_JSON,
        headers=headers,
    )


# --- the server --------------------------------------------------------------------------------


class _Dropped(Exception):
    """Raised inside a handler to close the connection without answering."""


def _route(method: str, path: str, params: dict[str, str]) -> tuple[str, str | None] | None:
    """("search", None) or ("delete", ordernumber) for an API route, else None."""
    for prefix in API_PREFIXES:
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :].strip("/")
        if rest == "orders/search":
            return ("search", None) if method == "GET" else None
        if method == "DELETE":
            if rest == "orders" and params.get("ordernumber"):
                return "delete", params["ordernumber"]
            if rest.startswith("orders/") and "/" not in rest[7:] and rest[7:]:
                return "delete", rest[7:]
        return None
    return None


class _SandboxApp:
    """The aiohttp application: one dispatcher for token, API and control requests."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.dispatch)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        state.apply_due_steps()
        path = request.path
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return await self.control(request)
        method = request.method.upper()
        params = _lower_query(request)
        try:
            if path.rstrip("/") == TOKEN_PATH:
                response = await self.token(request, method, path)
            else:
                route = _route(method, path, params)
                if route is None:
                    response = _json(
                        _fault_body(
                            f"No resource for {method} {path}",
                            "messaging.adaptors.http.flow.ApplicationNotFound",
                        ),
                        404,
                    )
                else:
                    response = await self.api(request, method, path, params, *route)
        except _Dropped:
            state.counters.requests.append(RecordedRequest(method, path, dict(request.query), 0))
            return _drop(request)
        state.counters.requests.append(
            RecordedRequest(method, path, dict(request.query), response.status)
        )
        return response

    # --- token ----------------------------------------------------------------------------

    async def token(self, request: web.Request, method: str, path: str) -> web.Response:
        state = self.state
        state.counters.token_requests += 1
        if method != "POST":
            return _json(
                {"error": "invalid_request", "error_description": "use POST for the token"}, 405
            )
        fault = state.faults.take(method, path, api=False)
        form: dict[str, str] = {}
        if request.can_read_body:
            posted = await request.post()
            form = {k.lower(): str(v).strip() for k, v in posted.items()}
        for key, value in request.query.items():
            form.setdefault(key.lower(), value.strip())

        async def perform() -> web.Response:
            return self._token_answer(request, form)

        return await self._with_fault(fault, perform, headers=None)

    def _token_answer(self, request: web.Request, form: dict[str, str]) -> web.Response:
        state = self.state
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        basic = request.headers.get("Authorization", "")
        if not client_id and basic.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(basic[6:].strip()).decode()
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = ""
        grant = form.get("grant_type", "")
        if not grant:
            return _json(
                {"error": "invalid_request", "error_description": "grant_type is required"}, 400
            )
        if grant != "client_credentials":
            return _json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
                400,
            )
        id_ok = secrets.compare_digest(client_id.encode(), state.client_id.encode())
        secret_ok = secrets.compare_digest(client_secret.encode(), state.client_secret.encode())
        if not (id_ok and secret_ok):
            return _json(
                {"error": "invalid_client", "error_description": "ClientId or secret is invalid"},
                401,
            )
        token = state.issue_token(client_id)
        return _json(
            {"access_token": token, "token_type": "Bearer", "expires_in": str(state.token_ttl)}
        )

    # --- API ------------------------------------------------------------------------------

    async def api(
        self,
        request: web.Request,
        method: str,
        path: str,
        params: dict[str, str],
        kind: str,
        ordernumber: str | None,
    ) -> web.Response:
        state = self.state
        if kind == "search":
            state.counters.search_calls += 1
        else:
            state.counters.delete_calls += 1
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        app, problem = state.check_token(request.headers.get("Authorization"))
        if app is None:
            body = EXPIRED_TOKEN_BODY if problem == "expired" else INVALID_TOKEN_BODY
            return _json(body, 401, state.rate_headers())
        if not state.api_product_approved:
            return _json(NOT_APPROVED_BODY, 401, state.rate_headers(app))
        if not state.consume(app):
            state.counters.rate_limited += 1
            return _json(RATE_LIMITED_BODY, 429, state.rate_headers(app, retry_after=True))
        fault = state.faults.take(method, path, api=True)

        async def perform() -> web.Response:
            try:
                if kind == "search":
                    req = parse_search(params)
                    body = search_body(req, state.search(req), state.next_style())
                else:
                    customer, country, entry = parse_delete(params)
                    preamble, message = state.delete(ordernumber or "", customer, country, entry)
                    body = delete_body(preamble, message)
            except BadRequest as exc:
                return _json(_bad_request_body(kind, str(exc)), 400, state.rate_headers(app))
            return _json(body, 200, state.rate_headers(app))

        return await self._with_fault(fault, perform, headers=lambda: state.rate_headers(app))

    async def _with_fault(
        self,
        fault: Fault | None,
        perform: Callable[[], Awaitable[web.Response]],
        headers: Callable[[], dict[str, str]] | None,
    ) -> web.Response:
        """Answer a request, or let ``fault`` spoil it."""
        if fault is None:
            return await perform()
        done = await perform() if fault.apply_first else None
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            raise _Dropped
        extra = headers() if headers else {}
        if fault.preamble is not None:
            message = fault.preamble.responsemessage
            if fault.preamble is DELETE_ABEND:
                message = self.state.abend_message()
            return _json(delete_body(fault.preamble, message), 200, extra)
        if fault.status == 200:
            return done if done is not None else await perform()
        if fault.status == 429:
            self.state.counters.rate_limited += 1
            reset = self.state.clock() + timedelta(seconds=1)
            extra = {
                **extra,
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(math.ceil(reset.timestamp() * 1000)),
                "Retry-After": "1",
            }
        return _json(_status_fault_body(fault.status), fault.status, extra)

    # --- control API ----------------------------------------------------------------------

    async def control(self, request: web.Request) -> web.Response:
        """The JSON control API (no auth): state, faults, latency, approval, orders."""
        state = self.state
        method = request.method.upper()
        parts = [p for p in request.path[len(CONTROL_PREFIX) :].split("/") if p]
        try:
            data: Any = None
            if method in ("POST", "PUT") and request.can_read_body:
                try:
                    data = json.loads(await request.text() or "null")
                except json.JSONDecodeError as exc:
                    raise ValueError(f"the body is not JSON: {exc.msg}") from None
            if parts == ["state"] and method == "GET":
                return _json(state.as_json())
            if parts == ["faults"] and method == "POST":
                fault = Fault.from_json(data)
                state.faults.add(fault)
                return _json({"ok": True, "fault": fault.to_json()})
            if parts == ["faults"] and method == "DELETE":
                state.faults.clear()
                return _json({"ok": True})
            if parts == ["latency"] and method == "POST":
                seconds = float(_field(data, "seconds"))
                if seconds < 0:
                    raise ValueError("seconds must be 0 or more")
                state.latency = seconds
                return _json({"ok": True, "latency": seconds})
            if parts == ["approved"] and method == "POST":
                approved = _field(data, "approved")
                if not isinstance(approved, bool):
                    raise ValueError("approved must be true or false")
                state.api_product_approved = approved
                return _json({"ok": True, "approved": approved})
            if parts == ["style"] and method == "POST":
                style = _field(data, "style")
                if style not in STYLES:
                    raise ValueError(f"style must be one of {list(STYLES)}")
                state.response_style = style
                return _json({"ok": True, "style": style})
            if parts == ["tokens", "expire"] and method == "POST":
                state.expire_tokens()
                return _json({"ok": True})
            if len(parts) == 2 and parts[0] == "suborders" and method == "POST":
                if not isinstance(data, dict):
                    raise ValueError("the body must be a JSON object")
                allowed = {"statuscode", "holdreasoncode", "status", "holdreason"}
                unknown = sorted(set(data) - allowed)
                if unknown:
                    raise ValueError(f"unknown field(s) {unknown}; known: {sorted(allowed)}")
                try:
                    state.set_suborder(parts[1], **{k: str(v) for k, v in data.items()})
                except KeyError as exc:
                    return _json({"error": exc.args[0]}, 404)
                current = state.suborder(parts[1])
                return _json({"ok": True, "suborder": _plain_suborder(current)})
            if parts == ["orders"] and method == "POST":
                order = order_from_json(data, state.clock())
                state.add_order(order)
                return _json({"ok": True, "order": order_to_json(order)})
            if len(parts) == 2 and parts[0] == "orders" and method == "GET":
                found = state.order(parts[1])
                if found is None:
                    return _json({"error": f"no order {parts[1]!r} in the sandbox"}, 404)
                return _json(order_to_json(found))
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"error": f"no control endpoint {method} {request.path}"}, 404)


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise ValueError(f"the body must be a JSON object with {name!r}")
    return data[name]


def _plain_suborder(s: SeedSuborder | None) -> dict[str, str] | None:
    if s is None:
        return None
    return {
        "subordernumber": s.subordernumber,
        "statuscode": s.statuscode,
        "status": s.status,
        "holdreasoncode": s.holdreasoncode,
        "holdreason": s.holdreason,
    }


def _drop(request: web.Request) -> web.Response:
    """Close the connection at once; the client sees it closed with no response."""
    transport = request.transport
    request.protocol.force_close()
    if transport is not None:
        transport.abort()
    return web.Response(status=204)


@dataclass
class RunningSandbox:
    """A sandbox serving on ``url`` (no trailing slash); ``await stop()`` when done."""

    url: str
    state: SandboxState
    _runner: web.AppRunner = field(repr=False)

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningSandbox:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


async def start_sandbox(
    state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Serve a sandbox on ``host:port`` (0: any free port) and return once it listens."""
    state = state or SandboxState()
    app = _SandboxApp(state)
    runner = web.AppRunner(app.app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - comparison only
    if ":" in url_host:
        url_host = f"[{url_host}]"
    return RunningSandbox(f"http://{url_host}:{bound[1]}", state, runner)


async def run_sandbox(host: str, port: int, *, scenario: bool) -> None:
    """Serve a sandbox until cancelled (``orderbot sandbox``), printing how to use it."""
    clock = utc_now
    state = SandboxState(clock=clock, scenario=default_scenario(clock()) if scenario else None)
    running = await start_sandbox(state, host=host, port=port)
    print(
        f"Ingram Micro sandbox on {running.url}"
        f"{' (scenario on)' if scenario else ''} - use INGRAM_BASE_URL={running.url}"
        f" INGRAM_SANDBOX=1 INGRAM_CLIENT_ID={SANDBOX_CLIENT_ID}"
        f" INGRAM_CLIENT_SECRET={SANDBOX_CLIENT_SECRET}"
        f" INGRAM_CUSTOMER_NUMBER={SANDBOX_CUSTOMER} INGRAM_COUNTRY={SANDBOX_COUNTRY}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await running.stop()
