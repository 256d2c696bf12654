"""Failures to inject into the Slack stand-in: per-method faults, and Slack being down.

``FaultPlan.check(method)`` is called first for every Web API call and every POST to a
``response_url`` (whose "method" is ``"response_url"``): while ``down`` it raises
``service_unavailable`` (503); otherwise the first fault matching the method answers instead,
``times`` times (None: until cleared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from bot.sandbox.slack.errors import ApiError

#: The error each HTTP status carries unless the fault names one.
DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass
class Fault:
    """A failure to inject: the next ``times`` calls of ``method`` get this answer."""

    method: str
    status: int
    error: str
    retry_after: int | None
    times: int | None  # None: until cleared

    def matches(self, method: str) -> bool:
        return self.times != 0 and self.method in (method, "*")


class FaultOptions(TypedDict, total=False):
    """How a fault answers (``FaultPlan.add``'s keywords)."""

    status: int
    error: str | None
    retry_after: int | None
    times: int | None


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
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` fail (``"*"``: any method,
        ``"response_url"``: POSTs to response URLs; ``times=None``: until ``clear``).

        429 carries ``Retry-After`` like Slack; the body is Slack's envelope with ``error``
        (default by status: ratelimited, internal_error, service_unavailable, fatal_error).
        """
        fault = Fault(
            method=method,
            status=status,
            error=error or DEFAULT_ERRORS.get(status, "fatal_error"),
            retry_after=retry_after if status == 429 else None,
            times=times,
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every queued fault."""
        self.faults.clear()

    def check(self, method: str) -> None:
        """Raise what Slack answers ``method`` with while down or while a fault matches it."""
        if self.down:
            raise ApiError("service_unavailable", 503)
        for fault in self.faults:
            if fault.matches(method):
                if fault.times is not None:
                    fault.times -= 1
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                raise ApiError(fault.error, fault.status, headers=headers)
