"""What ``/metrics`` reads at each scrape instead of counting: gauges of the moment.

From the database (on the store's thread, one read): the outbox's rows by state (every state
the rows are in, so that states added later show up), the shipments on hold by hold code and
when the last successful poll finished. From the running process: whether it holds the
writer lease, whether the database takes writes, and Ingram's rate budget left.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlite_utils import Database

from bot.ingram import RateLimiter
from bot.store import (
    AsyncStore,
    StoreUnavailable,
    hold_counts,
    last_successful_poll,
    outbox_counts,
    waiting_counts,
)
from bot.watch.writer import Writer


@dataclass(frozen=True)
class StoredState:
    """What one read of the database says: outbox rows by state, holds by code, when the
    last successful poll finished (None before the first), and the rows waiting by what for
    (a rule's settle time or its hours)."""

    outbox: Mapping[str, int]
    holds: Mapping[str, int]
    last_success: datetime | None
    waiting: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """Everything the gauges show at one scrape. ``stored`` is None when the database could
    not be read; ``writer`` is None where no writer lease is taken part in; ``rate_remaining``
    is None where no Ingram client runs."""

    stored: StoredState | None
    store_ok: bool
    writer: bool | None = None
    rate_remaining: float | None = None


def read_stored(db: Database) -> StoredState:
    """The database's part of the state (runs on the store's thread)."""
    last = last_successful_poll(db)
    return StoredState(
        outbox_counts(db),
        hold_counts(db),
        last.finished_at if last else None,
        waiting_counts(db),
    )


async def read_state(
    store: AsyncStore, *, writer: Writer | None = None, limiter: RateLimiter | None = None
) -> State:
    """The state at this moment; a database that cannot be read leaves its gauges empty."""
    try:
        stored: StoredState | None = await store.run(read_stored)
    except StoreUnavailable:
        stored = None
    return State(
        stored,
        store_ok=store.fault is None,
        writer=writer.held if writer is not None and writer.holder is not None else None,
        rate_remaining=limiter.remaining() if limiter is not None else None,
    )


class StateCollector(Collector):
    """The gauges of ``State``; ``Metrics.render`` gives it the state read for the scrape."""

    def __init__(self) -> None:
        self.state: State | None = None

    def describe(self) -> Iterator[Metric]:
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        yield from self._families(self.state)

    def _families(self, state: State | None) -> Iterator[Metric]:
        stored = state.stored if state is not None else None
        outbox = GaugeMetricFamily(
            "orderbot_outbox_messages",
            "Messages in the outbox by state (pending, waiting, sending, delivered, dead, and"
            " any state added later), as the database holds them",
            labels=["state"],
        )
        waiting = GaugeMetricFamily(
            "orderbot_outbox_waiting_messages",
            "Messages in the outbox that wait (state waiting), by what for: settle (a rule's"
            " settle time) or hours (a rule's hours to begin)",
            labels=["waiting_for"],
        )
        holds = GaugeMetricFamily(
            "orderbot_holds_open",
            "Shipments on hold now by hold reason code, as of the last poll (VO: deleted orders)",
            labels=["hold_code"],
        )
        last = GaugeMetricFamily(
            "orderbot_poll_last_success_timestamp_seconds",
            "UNIX time when the last successful poll finished",
        )
        if stored is not None:
            for name, count in sorted(stored.outbox.items()):
                outbox.add_metric([name], count)
            for reason, count in sorted(stored.waiting.items()):
                waiting.add_metric([reason], count)
            for code, count in sorted(stored.holds.items()):
                holds.add_metric([code], count)
            if stored.last_success is not None:
                last.add_metric([], stored.last_success.timestamp())
        yield outbox
        yield waiting
        yield holds
        yield last
        store_ok = GaugeMetricFamily(
            "orderbot_store_ok", "1 while the database takes writes, 0 while it fails"
        )
        writer = GaugeMetricFamily(
            "orderbot_writer_lease_held",
            "1 while this process holds the writer lease (it polls and delivers), 0 on a standby",
        )
        rate = GaugeMetricFamily(
            "orderbot_ingram_rate_remaining",
            "Ingram calls left in the current rate window (its X-RateLimit-* headers; the whole"
            " budget before the first answer and after a reset)",
        )
        if state is not None:
            store_ok.add_metric([], 1.0 if state.store_ok else 0.0)
            if state.writer is not None:
                writer.add_metric([], 1.0 if state.writer else 0.0)
            if state.rate_remaining is not None:
                rate.add_metric([], state.rate_remaining)
        yield store_ok
        yield writer
        yield rate
