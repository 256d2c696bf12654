"""The Ingram sandbox's rate budget: ``limit`` calls per ``period`` seconds, per app.

A fixed window that starts with the first call after the previous window ended, announced in
``X-RateLimit-*`` headers (``X-RateLimit-Reset`` in epoch milliseconds) as Apigee does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Window:
    """One app's current window: when it started and how many calls it has counted."""

    start: datetime
    count: int = 0


class RateBudget:
    """Every app's window; ``limit`` and ``period`` may be changed at any time."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._windows: dict[str, Window] = {}

    def window(self, app: str, now: datetime) -> Window:
        """``app``'s window at ``now`` (a new one when the last has ended)."""
        window = self._windows.get(app)
        if window is None or now >= window.start + timedelta(seconds=self.period):
            window = self._windows[app] = Window(now)
        return window

    def reset_at(self, window: Window) -> datetime:
        """When ``window`` ends."""
        return window.start + timedelta(seconds=self.period)

    def consume(self, app: str, now: datetime) -> bool:
        """Count one call of ``app``; False when its window's limit is already used up."""
        window = self.window(app, now)
        if window.count >= self.limit:
            return False
        window.count += 1
        return True

    def headers(self, app: str, now: datetime, *, retry_after: bool = False) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers for ``app``'s window (``Retry-After`` on request)."""
        window = self.window(app, now)
        reset = self.reset_at(window)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - window.count)),
            "X-RateLimit-Reset": str(math.ceil(reset.timestamp() * 1000)),
        }
        if retry_after:
            seconds = (reset - now).total_seconds()
            headers["Retry-After"] = str(max(1, math.ceil(seconds)))
        return headers
