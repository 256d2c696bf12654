"""Everything the Ingram sandbox knows, behind one object that its routes and tests share.

``SandboxState`` holds the clock and the settings, and composes the parts that keep the data:
the orders (``orders.OrderBook``), the access tokens (``tokens.Tokens``), the rate budget
(``rate.RateBudget``), the faults waiting to happen (``faults.FaultPlan``) and the counters
(``counters.Counters``). It moves the scenario on, by its clock, whenever a request arrives.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar, cast, overload

from bot.clock import Clock, utc_now
from bot.ingram.codes import DELETED_STATUS, DeletePreamble
from bot.sandbox.ingram.bodies import iso
from bot.sandbox.ingram.counters import Counters, RecordedRequest
from bot.sandbox.ingram.faults import FaultPlan
from bot.sandbox.ingram.orders import OrderBook, SearchResult
from bot.sandbox.ingram.params import SearchRequest
from bot.sandbox.ingram.rate import RateBudget
from bot.sandbox.ingram.scenario import Scenario, Step
from bot.sandbox.ingram.seed import SeedOrder, SeedSuborder, build_seed
from bot.sandbox.ingram.tokens import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Tokens

STYLES = ("sample", "table", "alternate")

T = TypeVar("T")


class _KeptBy(Generic[T]):
    """A setting of the state that one of its parts keeps: read and written through."""

    def __init__(self, part: str, name: str) -> None:
        self.part = part
        self.name = name

    @overload
    def __get__(self, state: None, owner: type) -> _KeptBy[T]: ...
    @overload
    def __get__(self, state: object, owner: type | None = None) -> T: ...
    def __get__(self, state: object | None, owner: type | None = None) -> T | _KeptBy[T]:
        if state is None:
            return self
        return cast(T, getattr(getattr(state, self.part), self.name))

    def __set__(self, state: object, value: T) -> None:
        setattr(getattr(state, self.part), self.name, value)


class SandboxState:
    """Everything the sandbox knows: orders, tokens, rate windows, faults, counters, clock.

    * ``clock``: drives token expiry, the rate window, ``X-RateLimit-Reset`` and the scenario.
    * ``orders``: the data set (default ``build_seed(clock())``); the list's objects are kept
      and changed in place by deletes and scenario steps.
    * ``scenario``: applied lazily on every request (None: nothing moves by itself).
    * ``rate_limit`` calls per ``rate_period`` seconds, per app, in a fixed window that starts
      with the first call after the previous window ended.
    * ``token_ttl``: token lifetime in seconds (sent as the string ``expires_in``).
    * ``response_style``: "sample" (the layout of Ingram's published samples), "table" (the
      specs' field tables) or "alternate" (sample, table, sample, ... one per answer, for
      searches and deletes each); see ``bodies``.
    * ``latency``: seconds added to every API call (not to token calls).
    * ``api_product_approved``: False makes every API call with a valid token a 401.
    * ``echo_credentials``: the token endpoint's 401 repeats the client ID and secret it was
      sent, as some gateways' error texts do (a client must not pass that text on).
    Every setting is an attribute that may be changed while the sandbox runs.
    """

    rate_limit = _KeptBy[int]("rate", "limit")
    rate_period = _KeptBy[float]("rate", "period")
    token_ttl = _KeptBy[int]("tokens", "ttl")

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
        self.rate = RateBudget(rate_limit, rate_period)
        self.tokens = Tokens(token_ttl)
        self.response_style = response_style
        self.latency = latency
        self.api_product_approved = api_product_approved
        self.echo_credentials = False
        self.client_id = SANDBOX_CLIENT_ID
        self.client_secret = SANDBOX_CLIENT_SECRET
        self.faults = FaultPlan()
        self.counters = Counters()
        #: Scenario steps applied so far: (k, step, when).
        self.scenario_log: list[tuple[int, Step, datetime]] = []
        self._style_turns: dict[str, int] = {}
        self.orders = OrderBook(build_seed(clock()) if orders is None else orders)

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

    # --- orders (shortcuts to ``orders``) -------------------------------------------------

    def add_order(self, order: SeedOrder) -> None:
        """Add an order (or replace the one with the same number)."""
        self.orders.add(order)

    def order(self, ordernumber: str) -> SeedOrder | None:
        """The stored order with this number (any customer), or None."""
        return self.orders.order(ordernumber)

    def suborder(self, subordernumber: str) -> SeedSuborder | None:
        """The stored suborder with this number, or None."""
        return self.orders.suborder(subordernumber)

    @property
    def order_count(self) -> int:
        return self.orders.order_count

    @property
    def suborder_count(self) -> int:
        return self.orders.suborder_count

    def set_suborder(self, subordernumber: str, **changes: str | None) -> None:
        """Change a suborder's codes and texts (``statuscode``, ``holdreasoncode``, ``status``,
        ``holdreason``; see ``OrderBook.set_suborder``)."""
        self.orders.set_suborder(subordernumber, **changes)

    def search(self, req: SearchRequest) -> SearchResult:
        """The orders matching a search, sorted by (entry time, order number), one page."""
        return self.orders.search(req)

    def delete(
        self, ordernumber: str, customernumber: str, country: str, entrydate: date
    ) -> tuple[DeletePreamble, str]:
        """Delete an order if the API would; the preamble row and the message to answer."""
        return self.orders.delete(ordernumber, customernumber, country, entrydate)

    def abend_message(self) -> str:
        """The ABEND preamble's message with a transaction number where the spec has x's."""
        return self.orders.abend_message()

    def next_style(self, kind: str = "search") -> str:
        """The layout of the next ``kind`` answer ("search" or "delete"): "sample" or "table"."""
        if self.response_style != "alternate":
            return self.response_style
        turn = self._style_turns[kind] = self._style_turns.get(kind, 0) + 1
        return "sample" if turn % 2 else "table"

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

    # --- tokens and rate (by the clock) ---------------------------------------------------

    def issue_token(self, app: str) -> str:
        """A new access token for ``app``, valid for ``token_ttl`` seconds by the clock."""
        return self.tokens.issue(app, self.clock())

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (as if 24 hours had passed)."""
        self.tokens.expire_all(self.clock())

    def check_token(self, header: str | None) -> tuple[str | None, str | None]:
        """(app, None) for a valid bearer token, else (None, "invalid" | "expired")."""
        return self.tokens.check(header, self.clock())

    def consume(self, app: str) -> bool:
        """Count one call of ``app``; False when its window's limit is already used up."""
        return self.rate.consume(app, self.clock())

    def rate_headers(self, app: str | None = None, *, retry_after: bool = False) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers for ``app``'s window (``Retry-After`` on request)."""
        return self.rate.headers(app or self.client_id, self.clock(), retry_after=retry_after)

    # --- control API view -----------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        """A summary for ``GET /_sandbox/state``."""
        window = self.rate.window(self.client_id, self.clock())
        scenario = None
        if self.scenario is not None:
            nxt = self.scenario.next_due()
            scenario = {
                "start": iso(self.scenario.start),
                "every": self.scenario.every.total_seconds(),
                "loop": self.scenario.loop,
                "applied": self.scenario.applied,
                "next_due": iso(nxt) if nxt else None,
                "recent": [
                    {"k": k, "suborder": s.subordernumber, "note": s.note, "at": iso(at)}
                    for k, s, at in self.scenario_log[-20:]
                ],
            }
        return {
            "clock": iso(self.clock()),
            "style": self.response_style,
            "latency": self.latency,
            "approved": self.api_product_approved,
            "counters": self.counters.as_json(),
            "faults": [{**f.to_json(), "remaining": left} for f, left in self.faults.pending],
            "rate": {
                "limit": self.rate_limit,
                "period": self.rate_period,
                "used": window.count,
                "reset": iso(self.rate.reset_at(window)),
            },
            "scenario": scenario,
            "orders": self.order_count,
            "suborders": self.suborder_count,
        }
