"""The sandbox's scenario clock: suborders that move on and off hold as time passes.

A ``Scenario`` is a list of ``Step``s, one every ``every`` from ``start``: step k (counting
from 0, and on through repeats when ``loop`` is set) is due at ``start + (k + 1) * every``.
The sandbox applies due steps lazily, whenever a request arrives, by its own clock, so a
``ManualClock`` drives a scenario exactly and a real clock runs it for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: When a looping scenario falls this many whole cycles behind (the clock jumped), the
#: cycles that would only be repeated are skipped; the final state is the same.
_MAX_BACKLOG_CYCLES = 3


@dataclass
class Step:
    """Put one suborder into a status and hold (blank codes: open, no hold)."""

    subordernumber: str
    statuscode: str
    holdreasoncode: str
    note: str = ""


@dataclass
class Scenario:
    """Steps due one ``every`` apart from ``start``; repeated forever when ``loop`` is set."""

    start: datetime
    steps: list[Step]
    every: timedelta = timedelta(seconds=20)
    loop: bool = True
    #: How many steps (counting repeats) have been handed out by ``due``.
    applied: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError("a scenario's step interval must be positive")

    def due_count(self, now: datetime) -> int:
        """How many steps are due by ``now`` in all (applied or not)."""
        if not self.steps or now < self.start:
            return 0
        count = (now - self.start) // self.every
        return count if self.loop else min(count, len(self.steps))

    def due(self, now: datetime) -> list[tuple[int, Step]]:
        """The steps due by ``now`` and not yet handed out, in order, as (k, step).

        ``k`` counts steps from 0 across repeats (the step is ``steps[k % len(steps)]``).
        Each step is handed out once: a second call with the same ``now`` returns nothing.
        """
        count = self.due_count(now)
        first = self.applied
        n = len(self.steps)
        if self.loop and n and count - first > _MAX_BACKLOG_CYCLES * n:
            # Every step sets absolute codes, so one last full cycle gives the same result.
            first = count - n
        self.applied = max(self.applied, count)
        return [(k, self.steps[k % n]) for k in range(first, count)]

    def next_due(self) -> datetime | None:
        """When the next step not yet handed out falls due (None when none is left)."""
        if not self.steps or (not self.loop and self.applied >= len(self.steps)):
            return None
        return self.start + self.every * (self.applied + 1)


def default_scenario(start: datetime, every: timedelta = timedelta(seconds=20)) -> Scenario:
    """The demo's scenario: 20-RD12H-21 goes on and off credit hold, 20-SH001-11 off and
    back on sales hold, one change every ``every``, forever."""
    return Scenario(
        start=start,
        steps=[
            Step("20-RD12H-21", "C", "C3", "20-RD12H-21 placed on credit hold"),
            Step("20-SH001-11", "", "", "20-SH001-11 released from sales hold"),
            Step("20-RD12H-21", "", "", "20-RD12H-21 released from credit hold"),
            Step("20-SH001-11", "S", "SH", "20-SH001-11 back on sales hold"),
        ],
        every=every,
    )
