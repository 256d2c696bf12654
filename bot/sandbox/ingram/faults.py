"""Faults for the Ingram sandbox: what to spoil, and how a spoilt request is answered.

A ``Fault`` says which requests go wrong (method, path, how many times) and how: an HTTP
status with an Apigee body, a delay, a dropped connection, a delete preamble instead of the
real outcome, a search page that holds fewer orders than it should (``short``), or the request
carried out first and its answer lost (``apply_first``). The
``FaultPlan`` holds them in order; ``answer`` spoils one request's answer with the fault taken
for it. The control API adds faults as JSON (``Fault.from_json``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web

from bot.clock import Clock
from bot.ingram.codes import (
    DELETE_ABEND,
    DELETE_ALREADY_DELETED,
    DELETE_BACKEND_503,
    DELETE_NOT_FOUND,
    DELETE_TECHNICAL_ERROR,
    DeletePreamble,
)
from bot.sandbox.ingram.bodies import delete_body, json_response, status_fault_body
from bot.sandbox.ingram.counters import Counters

#: Delete preambles that a fault can answer with, by the name the control API uses.
PREAMBLES_BY_NAME: dict[str, DeletePreamble] = {
    "technical_error": DELETE_TECHNICAL_ERROR,
    "abend": DELETE_ABEND,
    "backend_503": DELETE_BACKEND_503,
    "not_found": DELETE_NOT_FOUND,
    "already_deleted": DELETE_ALREADY_DELETED,
}


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
    * ``short``: answer a search normally, but with only this many of its page's orders
      (0: an empty page), ``ordersfound`` unchanged: a short read before the end of the
      result. ``status`` is not used.
    * ``no_results``: answer a search 200 with a SUCCESS preamble and no results container at
      all, an answer that lost its body. ``status`` is not used.
    """

    status: int = 503
    times: int = 1
    method: str | None = None
    path: str | None = None
    delay: float = 0.0
    drop: bool = False
    apply_first: bool = False
    preamble: DeletePreamble | None = None
    short: int | None = None
    no_results: bool = False

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
            "short": self.short,
            "no_results": self.no_results,
        }

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """A fault from the control API's JSON; raises ``ValueError`` saying what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        known = {
            "status",
            "times",
            "method",
            "path",
            "delay",
            "drop",
            "apply_first",
            "preamble",
            "short",
            "no_results",
        }
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
            short = int(data["short"]) if data.get("short") is not None else None
            if short is not None and short < 0:
                raise ValueError(f"short must be 0 or more, not {short}")
            return cls(
                status=status,
                times=int(data.get("times", 1)),
                method=str(data["method"]).upper() if data.get("method") else None,
                path=str(data["path"]) if data.get("path") is not None else None,
                delay=float(data.get("delay", 0.0)),
                drop=bool(data.get("drop", False)),
                apply_first=bool(data.get("apply_first", False)),
                preamble=preamble,
                short=short,
                no_results=bool(data.get("no_results", False)),
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


class Spoilable(Protocol):
    """What a fault needs of the sandbox state (``SandboxState`` is one)."""

    clock: Clock
    counters: Counters

    def abend_message(self) -> str: ...

    def next_style(self, kind: str = "search") -> str: ...


class Dropped(Exception):
    """Raised inside a handler to close the connection without answering."""


async def answer(
    fault: Fault | None,
    perform: Callable[[], Awaitable[web.Response]],
    headers: Callable[[], dict[str, str]] | None,
    state: Spoilable,
) -> web.Response:
    """Answer a request with ``perform()``, or let ``fault`` spoil it (``Dropped``: close the
    connection); ``headers()`` gives the rate headers a spoilt answer still carries."""
    if fault is None:
        return await perform()
    done = await perform() if fault.apply_first else None
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if fault.drop:
        raise Dropped
    extra = headers() if headers else {}
    if fault.preamble is not None:
        message = fault.preamble.responsemessage
        if fault.preamble is DELETE_ABEND:
            message = state.abend_message()
        body = delete_body(fault.preamble, message, state.next_style("delete"))
        return json_response(body, 200, extra)
    if fault.status == 200 or fault.short is not None or fault.no_results:  # ``perform`` spoils
        return done if done is not None else await perform()
    if fault.status == 429:
        state.counters.rate_limited += 1
        reset = state.clock() + timedelta(seconds=1)
        extra = {
            **extra,
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil(reset.timestamp() * 1000)),
            "Retry-After": "1",
        }
    return json_response(status_fault_body(fault.status), fault.status, extra)


def drop_connection(request: web.Request) -> web.Response:
    """Close the connection at once; the client sees it closed with no response."""
    transport = request.transport
    request.protocol.force_close()
    if transport is not None:
        transport.abort()
    return web.Response(status=204)
