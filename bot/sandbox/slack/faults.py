"""Failures to inject into the Slack stand-in: per-method faults, and Slack being down.

``FaultPlan.take(method)`` is called first for every Web API call and every POST to a
``response_url`` (whose "method" is ``"response_url"``): while ``down`` it raises
``service_unavailable`` (503); otherwise it hands out the first fault matching the method,
``times`` times (None: until cleared). A fault either answers with Slack's error envelope
(``mode="error"``, raised as ``ApiError`` by ``take``) or misbehaves the way networks and
proxies do, which ``misbehave`` plays out on the request:

* ``drop``: the connection is closed without an answer (the client sees the server
  disconnect);
* ``hang``: no answer for ``hang`` seconds (longer than any client waits);
* ``html``: HTTP 200 with a proxy's HTML error page;
* ``empty``: HTTP 200, ``application/json``, and no body at all;
* ``truncated``: Slack's JSON answer cut short (the connection closes mid-body).

``record`` says whether Slack did the work before misbehaving: True (the default) is the
case that makes clients post twice (the message is in the channel, the answer is lost);
False is a failure in front of Slack (nothing happened).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from aiohttp import web

from bot.sandbox.slack.errors import ApiError

#: The error each HTTP status carries unless the fault names one.
DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}

FaultMode = Literal["error", "drop", "hang", "html", "empty", "truncated"]
FAULT_MODES: tuple[str, ...] = ("error", "drop", "hang", "html", "empty", "truncated")

#: What a proxy in front of Slack answers when Slack is out of its reach.
PROXY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass
class Fault:
    """A failure to inject: the next ``times`` calls of ``method`` get this answer."""

    method: str
    status: int
    error: str
    retry_after: int | None
    times: int | None  # None: until cleared
    mode: str = "error"
    record: bool = True
    hang: float = 3600.0
    channel: str | None = None  # only calls naming this channel (as the call names it)

    def matches(self, method: str, channel: object = None) -> bool:
        if self.channel is not None and str(channel or "") != self.channel:
            return False
        return self.times != 0 and self.method in (method, "*")

    @property
    def runs_method(self) -> bool:
        """True when Slack does the call's work before this fault answers."""
        return self.mode != "error" and self.record


class FaultOptions(TypedDict, total=False):
    """How a fault answers (``FaultPlan.add``'s keywords)."""

    status: int
    error: str | None
    retry_after: int | None
    times: int | None
    mode: FaultMode
    record: bool
    hang: float
    channel: str | None


class FaultPlan:
    """The faults waiting to happen, in the order they were added, and the outage switch."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        #: True: every request gets 503 ``service_unavailable`` (sockets are refused).
        self.down = False

    def add(
        self,
        method: str,
        *,
        status: int = 429,
        error: str | None = None,
        retry_after: int | None = 1,
        times: int | None = 1,
        mode: FaultMode = "error",
        record: bool = True,
        hang: float = 3600.0,
        channel: str | None = None,
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` fail (``"*"``: any method,
        ``"response_url"``: POSTs to response URLs; ``times=None``: until ``clear``).

        ``mode="error"``: 429 carries ``Retry-After`` like Slack; the body is Slack's envelope
        with ``error`` (default by status: ratelimited, internal_error, service_unavailable,
        fatal_error). Other modes misbehave instead (see the module's docstring), after doing
        the call's work unless ``record=False``; ``hang`` is how long a hang lasts.
        ``channel``: only calls whose ``channel`` argument is exactly this.
        """
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}: use one of {', '.join(FAULT_MODES)}")
        fault = Fault(
            method=method,
            status=status,
            error=error or DEFAULT_ERRORS.get(status, "fatal_error"),
            retry_after=retry_after if status == 429 else None,
            times=times,
            mode=mode,
            record=record,
            hang=hang,
            channel=channel,
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every queued fault."""
        self.faults.clear()

    def take(self, method: str, channel: object = None) -> Fault | None:
        """The fault that answers this call of ``method`` (to ``channel``) (counted as used),
        or None. Raises what Slack answers while down, or an error-mode fault's envelope."""
        if self.down:
            raise ApiError("service_unavailable", 503)
        for fault in self.faults:
            if fault.matches(method, channel):
                if fault.times is not None:
                    fault.times -= 1
                if fault.mode == "error":
                    headers = {}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                    raise ApiError(fault.error, fault.status, headers=headers)
                return fault
        return None

    def check(self, method: str) -> None:
        """Raise what Slack answers ``method`` with while down or while an error-mode
        fault matches it (a misbehaving fault is taken and ignored: for routes that cannot
        misbehave)."""
        self.take(method)


async def misbehave(request: web.Request, fault: Fault, body: dict[str, Any]) -> web.StreamResponse:
    """Answer ``request`` the way ``fault`` says; ``body`` is what Slack would have answered."""
    if fault.mode == "hang":
        await asyncio.sleep(fault.hang)
        return web.json_response(body)
    if fault.mode == "html":
        return web.Response(status=200, text=PROXY_PAGE, content_type="text/html")
    if fault.mode == "empty":
        return web.Response(status=200, body=b"", content_type="application/json")
    if fault.mode == "truncated":
        full = json.dumps(body).encode()
        response = web.StreamResponse(
            status=200,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        response.content_length = len(full)
        await response.prepare(request)
        await response.write(full[: max(1, len(full) // 2)])
        _close(request)
        raise asyncio.CancelledError  # aiohttp's way to end a handler whose peer is gone
    # drop
    _close(request)
    raise asyncio.CancelledError


def _close(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.close()
