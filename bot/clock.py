"""Time as a parameter: every part that depends on the clock takes a ``Clock``.

A ``Clock`` is any callable that returns the current time as an aware UTC datetime.
Production code uses ``utc_now``; tests and the demo use ``ManualClock`` (which only moves
when told) or ``OffsetClock`` (real time, shifted or sped up).

Deadlines inside one process (a retry time, a rate limiter's blocked-until, pacing) are
kept on a monotonic clock instead (``time.monotonic`` by default, a ``Monotonic``): the wall
clock can step (NTP, a VM resumed, an operator), and a step must neither park work nor fire
it early. ``ManualClock.monotonic`` moves with ``advance`` but not with ``set``, which is how
a test steps the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
#: Seconds on a clock that never steps (``time.monotonic``).
Monotonic = Callable[[], float]


def utc_now() -> datetime:
    """The real current time, aware, in UTC."""
    return datetime.now(UTC)


def iso(when: datetime) -> str:
    """A timestamp as stored in the database: ISO 8601, UTC, microseconds."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    """Read back a timestamp written by ``iso``."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ManualClock:
    """A clock that stands still until ``advance`` or ``set`` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or utc_now()).astimezone(UTC)
        self._elapsed = 0.0

    def __call__(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        """Seconds this clock has advanced (a ``Monotonic``: ``set`` does not move it)."""
        return self._elapsed

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        step = timedelta(seconds=seconds, **delta)
        self._now += step
        # Exactly the seconds asked for: a timedelta rounds to microseconds, and a sleep of
        # less than half a microsecond must still move the monotonic clock.
        self._elapsed += max(0.0, seconds + timedelta(**delta).total_seconds())
        return self._now

    def set(self, when: datetime) -> None:
        """Step the wall clock to ``when`` (the monotonic clock stays where it is)."""
        self._now = when.astimezone(UTC)


class OffsetClock:
    """Real time, starting from ``start`` and running ``speed`` times as fast."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        self._origin = (start or utc_now()).astimezone(UTC)
        self._t0 = time.monotonic()
        self.speed = speed

    def __call__(self) -> datetime:
        return self._origin + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)


def duration_words(delta: timedelta) -> str:
    """A duration the way people say it: 3 d 4 h, 5 h 12 min, 40 min, 20 s."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
