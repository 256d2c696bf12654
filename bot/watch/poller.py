"""The hold watcher's poller: read every recent order, compare, record, queue the alerts.

One poll reads every order entered in the last ``lookback_days`` with the date-window search
(page size 100, all pages: ceil(N/100) calls for N orders) at ``Priority.BACKGROUND``, so a
Slack user's ``/order`` lookup is always served before the poll's next page. It turns the
pages into snapshot rows as they arrive (the orders themselves are not kept), compares them
with the snapshot, matches the events against the rules and writes everything (snapshot,
events, outbox, polls row) in ONE transaction. The comparison and the message building run
in a worker thread and SQLite runs on the store's thread, so the event loop stays free.

* The first poll of an empty database is a baseline: it records, it posts nothing.
* A poll that cannot read Ingram records a failed ``polls`` row with the error and changes
  nothing else; the next poll simply reads everything again, so nothing is lost.
* Outside the account's Ingram availability window the poll is skipped, and the log says so
  once per closed period (and once again when the window opens), not every interval.
* Link-only search entries (an order listed by nothing but its link, as in the spec's sample)
  carry no shipments; they are skipped, not fetched one by one, so a poll costs exactly
  ceil(N/100) calls. Their number is logged.

The snapshot is read from SQLite, on the store's thread, while the pages are being fetched,
so reading it costs the poll no time; nothing is cached between polls, so a failed or
cancelled poll, or one by another process, leaves nothing to reconcile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, utc_now
from bot.ingram.client import IngramClient
from bot.ingram.errors import IngramError, OutsideWindowError
from bot.ingram.models import SearchQuery
from bot.ingram.ratelimit import Priority
from bot.ingram.windows import is_available, next_opening, window_for
from bot.store import (
    AsyncStore,
    SuborderState,
    last_successful_poll,
    load_snapshot,
    record_failed_poll,
    save_poll,
)
from bot.tasks import cancel
from bot.watch.alerts import NewAlert, build_alerts
from bot.watch.changes import Event, diff, rows_from_orders
from bot.watch.rules import RuleSet

log = logging.getLogger("orderbot.poller")


@dataclass(frozen=True)
class PollReport:
    """What one poll did.

    ``ok`` is False when Ingram could not be read (``error`` says why; nothing was changed).
    ``skipped`` says why no poll was made (outside the availability window); then ``ok`` is
    True and nothing was recorded. ``calls`` is how many Ingram calls the client sent while
    the poll ran. ``fetch_s`` and ``persist_s`` split ``duration_s`` into reading Ingram and
    the rest (comparing, building alerts, writing).
    """

    ok: bool
    skipped: str | None
    calls: int
    orders: int
    suborders: int
    events: int
    alerts: int
    duration_s: float
    error: str | None
    baseline: bool
    poll_id: int | None
    fetch_s: float = 0.0
    persist_s: float = 0.0


def _skipped(reason: str) -> PollReport:
    return PollReport(True, reason, 0, 0, 0, 0, 0, 0.0, None, False, None)


@dataclass
class _Fetched:
    """What a poll read: one row per shipment (last reading wins) and the order count."""

    rows: dict[str, SuborderState]
    orders: int
    link_only: int


@dataclass
class _Derived:
    """What a poll derived from what it read."""

    current: list[SuborderState]
    events: list[Event]
    alerts: list[NewAlert]


class Poller:
    """Polls Ingram every ``interval`` seconds (``start``/``stop``) or once (``poll_once``)."""

    def __init__(
        self,
        client: IngramClient,
        store: AsyncStore,
        rules: RuleSet,
        *,
        interval: float = 300.0,
        lookback_days: int = 30,
        clock: Clock = utc_now,
        on_alerts: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        #: The rules each poll uses (read when it starts; ``serve`` replaces them on a reload).
        self.rules = rules
        self.interval = interval
        self.lookback = timedelta(days=lookback_days)
        self.clock = clock
        self.on_alerts = on_alerts
        #: The report of the latest poll (or skip), for ``/healthz`` and ``/order status``.
        self.last_report: PollReport | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # Whether the log has said that the window is closed (said once per closed period).
        self._closed_logged = False

    def __repr__(self) -> str:
        return f"<Poller every {self.interval:g}s, {len(self.rules)} rules, running={self.running}>"

    # --- background task -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the background task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Poll now and then every ``interval`` seconds, in a background task."""
        if self.interval <= 0:
            raise ValueError("the poll interval must be positive to poll in the background")
        if self.running:
            return
        self._task = asyncio.create_task(self._run(), name="orderbot-poller")

    async def stop(self) -> None:
        """End the background task. A poll in flight is abandoned: its one write transaction
        either happened in full or not at all, and the next poll reads everything again."""
        task, self._task = self._task, None
        await cancel(task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # poll_once reports Ingram errors; anything else is a bug
                log.exception("the poll failed unexpectedly; trying again in %g s", self.interval)
            await asyncio.sleep(max(0.0, self.interval - (loop.time() - began)))

    # --- one poll --------------------------------------------------------------------------

    def _window_closed(self, now: datetime) -> str | None:
        """Why the poll must be skipped now (None when Ingram is available); logs the change
        between open and closed once each way."""
        client = self.client
        if not client.windows_enforced:
            return None
        try:
            available = is_available(client.country, now)
        except KeyError:  # a country the spec has no window for: let Ingram decide
            return None
        if available:
            if self._closed_logged:
                log.info(
                    "Ingram's availability window for %s is open again; polling resumes",
                    client.country,
                )
                self._closed_logged = False
            return None
        opens = next_opening(client.country, now)
        reason = (
            f"outside window: Ingram's APIs for {client.country} answer"
            f" {window_for(client.country).describe()}; opens {opens.isoformat()}"
        )
        if not self._closed_logged:
            log.info(
                "Ingram's availability window for %s is closed; polls are skipped until it"
                " opens at %s (set ORDERBOT_IGNORE_WINDOWS=1 if your account answers around"
                " the clock)",
                client.country,
                opens.isoformat(),
            )
            self._closed_logged = True
        return reason

    async def poll_once(self) -> PollReport:
        """One poll (polls never overlap). Never raises for Ingram errors: the report says
        ``ok=False`` with the error, and a failed poll is recorded."""
        async with self._lock:
            report = await self._poll()
        self.last_report = report
        return report

    async def _poll(self) -> PollReport:
        started_at = self.clock()
        closed = self._window_closed(started_at)
        if closed is not None:
            return _skipped(closed)
        began = time.perf_counter()
        calls_before = self.client.stats.calls
        window_start = started_at - self.lookback
        rules = self.rules  # rules reloaded while this poll runs apply from the next one

        # The snapshot is read on the store's thread while the pages are fetched.
        snapshot_task = asyncio.ensure_future(self.store.run(load_snapshot))
        try:
            fetched = await self._fetch(window_start, started_at)
            previous = await snapshot_task
            had_success = await self.store.run(last_successful_poll) is not None
        except OutsideWindowError as exc:
            await _discard(snapshot_task)
            self._closed_logged = True
            log.info("the availability window closed during the poll; it is skipped: %s", exc)
            return _skipped(f"outside window: {exc}")
        except IngramError as exc:
            await _discard(snapshot_task)
            return await self._failed(started_at, began, calls_before, str(exc))
        except BaseException:
            await _discard(snapshot_task)
            raise
        fetched_at = time.perf_counter()
        # A baseline is the first successful poll of an empty database: it records, it posts
        # nothing. (A first poll that found no orders does not make the next one a baseline.)
        baseline = not previous and not had_success
        derived = await asyncio.to_thread(self._derive, previous, fetched, baseline, rules)
        finished_at = self.clock()
        calls = self.client.stats.calls - calls_before
        poll_id = await self.store.run(
            save_poll,
            started_at=started_at,
            finished_at=finished_at,
            calls=calls,
            orders=fetched.orders,
            current=derived.current,
            events=derived.events,
            alerts=derived.alerts,
            prune_before=window_start,
            baseline=baseline,
            now=started_at,
        )
        done = time.perf_counter()
        report = PollReport(
            ok=True,
            skipped=None,
            calls=calls,
            orders=fetched.orders,
            suborders=len(derived.current),
            events=len(derived.events),
            alerts=len(derived.alerts),
            duration_s=done - began,
            error=None,
            baseline=baseline,
            poll_id=poll_id,
            fetch_s=fetched_at - began,
            persist_s=done - fetched_at,
        )
        log.info(
            "poll %d ok%s: %d orders, %d shipments, %d Ingram calls, %d changes, %d alerts"
            " in %.2f s (reading %.2f s, comparing and writing %.2f s)",
            poll_id,
            " (baseline: recorded, nothing posted)" if baseline else "",
            report.orders,
            report.suborders,
            calls,
            report.events,
            report.alerts,
            report.duration_s,
            report.fetch_s,
            report.persist_s,
        )
        if fetched.link_only:
            log.info(
                "%d search entries carried only a link and no shipments; they were skipped",
                fetched.link_only,
            )
        if derived.alerts and self.on_alerts is not None:
            try:
                self.on_alerts()
            except Exception:
                log.exception("on_alerts failed (the alerts are safe in the outbox)")
        return report

    async def _fetch(self, start: datetime, end: datetime) -> _Fetched:
        """Every order entered in [start, end], page by page, kept only as snapshot rows."""
        rows: dict[str, SuborderState] = {}
        numbers: set[str] = set()
        link_only = 0
        texts: dict[str, str] = {}
        query = SearchQuery(start=start, end=end)
        async for page in self.client.iter_pages(query, priority=Priority.BACKGROUND):
            for order in page.orders:
                numbers.add(order.ordernumber)
                if not order.details:
                    link_only += 1
            for row in rows_from_orders(page.orders):
                rows[row.subordernumber] = _compact(row, texts)
        return _Fetched(rows, len(numbers), link_only)

    def _derive(
        self,
        previous: Mapping[str, SuborderState],
        fetched: _Fetched,
        baseline: bool,
        rules: RuleSet,
    ) -> _Derived:
        """Events and alerts (runs in a worker thread: pure computation)."""
        current = list(fetched.rows.values())
        events = diff(
            previous,
            current,
            baseline=baseline,
            customernumber=self.client.customer_number,
            country=self.client.country,
        )
        alerts = build_alerts(events, rules) if events else []
        return _Derived(current, events, alerts)

    async def _failed(
        self, started_at: datetime, began: float, calls_before: int, error: str
    ) -> PollReport:
        """Record a poll that could not read Ingram; nothing else changes."""
        calls = self.client.stats.calls - calls_before
        poll_id: int | None = None
        try:
            poll_id = await self.store.run(
                record_failed_poll,
                started_at=started_at,
                finished_at=self.clock(),
                calls=calls,
                error=error,
            )
        except Exception as exc:  # the store itself is in trouble: still report the poll
            log.error("could not record the failed poll: %s", exc)
        log.warning(
            "poll failed after %d Ingram calls; nothing was changed and the next poll reads"
            " everything again: %s",
            calls,
            error,
        )
        return PollReport(
            ok=False,
            skipped=None,
            calls=calls,
            orders=0,
            suborders=0,
            events=0,
            alerts=0,
            duration_s=time.perf_counter() - began,
            error=error,
            baseline=False,
            poll_id=poll_id,
        )


def _compact(row: SuborderState, texts: dict[str, str]) -> SuborderState:
    """The row with one shared string object per distinct code and text: a poll reads the
    same few statuses and hold reasons 100,000 times, and each parsed copy costs ~60 bytes."""
    return SuborderState(
        row.subordernumber,
        row.ordernumber,
        row.customerordernumber,
        row.entrytimestamp,
        texts.setdefault(row.statuscode, row.statuscode),
        texts.setdefault(row.status, row.status),
        texts.setdefault(row.holdreasoncode, row.holdreasoncode),
        texts.setdefault(row.holdreason, row.holdreason),
    )


async def _discard(task: asyncio.Future[object] | None) -> None:
    """Wait for a helper future that is no longer wanted, ignoring what it did."""
    if task is None:
        return
    with contextlib.suppress(BaseException):
        await task
