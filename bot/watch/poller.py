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
cancelled poll, or one by another process, leaves nothing to reconcile. The snapshot, the
baseline decision and the snapshot's generation are read in one transaction
(``read_poll_basis``), and the save checks the generation: if another poll was saved in
between, the poll diffs again against the new snapshot (no Ingram call), so two polls never
queue the same alerts.

* Only the writer polls: before each poll the poller waits until ``writer`` is open (this
  process holds the writer lease and the database takes writes); a poll whose save fails
  because the database failed (or the lease was lost) changes nothing and is not retried
  until the gate opens again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock, utc_now
from bot.ingram.client import IngramClient
from bot.ingram.errors import IngramError, OutsideWindowError
from bot.store import (
    AsyncStore,
    LeaseLost,
    PollBasis,
    StaleSnapshot,
    StoreUnavailable,
    SuborderState,
    hold_started,
    read_poll_basis,
    record_failed_poll,
    save_poll,
    watch_started_at,
)
from bot.tasks import cancel
from bot.watch.alerts import HoldTimes, NewAlert, build_alerts
from bot.watch.availability import AvailabilityWindow
from bot.watch.changes import Event, diff
from bot.watch.reading import Fetched, read_window
from bot.watch.rules import RuleSet
from bot.watch.writer import Writer

log = logging.getLogger("orderbot.poller")


@dataclass(frozen=True)
class PollReport:
    """What one poll did.

    ``ok`` is False when Ingram could not be read (``error`` says why; nothing was changed).
    ``skipped`` says why no poll was made (outside the availability window); then ``ok`` is
    True and nothing was recorded. ``calls`` is how many Ingram calls the client sent while
    the poll ran. ``fetch_s`` and ``persist_s`` split ``duration_s`` into reading Ingram and
    the rest (comparing, building alerts, writing). ``event_kinds`` counts the events by
    kind, ``alert_rules`` the messages queued by (rule, kind).
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
    event_kinds: Mapping[str, int] = field(default_factory=dict)
    alert_rules: Mapping[tuple[str, str], int] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """``ok``, ``failed`` (Ingram could not be read, or the poll could not be saved) or
        ``skipped`` (outside the availability window)."""
        if self.skipped:
            return "skipped"
        return "ok" if self.ok else "failed"


def _skipped(reason: str) -> PollReport:
    return PollReport(True, reason, 0, 0, 0, 0, 0, 0.0, None, False, None)


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
        writer: Writer | None = None,
        on_report: Callable[[PollReport], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.writer = writer or Writer(store, clock=clock)
        #: The rules each poll uses (read when it starts; ``serve`` replaces them on a reload).
        self.rules = rules
        self.interval = interval
        self.lookback = timedelta(days=lookback_days)
        self.clock = clock
        self.on_alerts = on_alerts
        #: Told of every poll's report, skipped ones too (the metrics count them).
        self.on_report = on_report
        #: The report of the latest poll (or skip), for ``/healthz`` and ``/order status``.
        self.last_report: PollReport | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.window = AvailabilityWindow(client)

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
            await self.writer.wait_open()
            began = loop.time()
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # poll_once reports Ingram errors; anything else is a bug
                log.exception("the poll failed unexpectedly; trying again in %g s", self.interval)
            await asyncio.sleep(max(0.0, self.interval - (loop.time() - began)))

    # --- one poll --------------------------------------------------------------------------

    async def poll_once(self) -> PollReport:
        """One poll (polls never overlap). Never raises for Ingram errors: the report says
        ``ok=False`` with the error, and a failed poll is recorded."""
        async with self._lock:
            report = await self._poll()
        self.last_report = report
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:
                log.exception("on_report failed (the poll itself is done)")
        return report

    async def _poll(self) -> PollReport:
        started_at = self.clock()
        closed = self.window.closed(started_at)
        if closed is not None:
            return _skipped(closed)
        began = time.perf_counter()
        calls_before = self.client.stats.calls
        window_start = started_at - self.lookback
        rules = self.rules  # rules reloaded while this poll runs apply from the next one

        # The snapshot is read on the store's thread while the pages are fetched.
        basis_task = asyncio.ensure_future(self.store.run(read_poll_basis))
        try:
            fetched = await read_window(self.client, window_start, started_at)
            basis = await basis_task
        except OutsideWindowError as exc:
            await _discard(basis_task)
            self.window.closed_during_poll(exc)
            return _skipped(f"outside window: {exc}")
        except IngramError as exc:
            await _discard(basis_task)
            return await self._failed(started_at, began, calls_before, str(exc))
        except StoreUnavailable as exc:  # the store logged it; the writer's gate closes
            await _discard(basis_task)
            return self._unsaved(calls_before, began, str(exc))
        except BaseException:
            await _discard(basis_task)
            raise
        fetched_at = time.perf_counter()
        calls = self.client.stats.calls - calls_before
        try:
            saved = await self._save(started_at, window_start, fetched, basis, calls, rules)
        except StoreUnavailable as exc:  # the store said what failed, once
            log.debug("the poll could not be saved (%s); nothing was changed", exc)
            return self._unsaved(calls_before, began, str(exc))
        except LeaseLost as exc:
            log.warning("the poll could not be saved (%s); nothing was changed", exc)
            return self._unsaved(calls_before, began, str(exc))
        derived, basis, poll_id = saved
        baseline = basis.baseline
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
            event_kinds=Counter(e.kind for e in derived.events),
            alert_rules=Counter((a.rule, a.kind) for a in derived.alerts),
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

    async def _save(
        self,
        started_at: datetime,
        window_start: datetime,
        fetched: Fetched,
        basis: PollBasis,
        calls: int,
        rules: RuleSet,
    ) -> tuple[_Derived, PollBasis, int]:
        """Diff against ``basis`` and save; diff again if another poll saved first."""
        for _attempt in range(5):
            times = HoldTimes(
                await self.store.run(hold_started),
                await self.store.run(watch_started_at),
                started_at,
            )
            derived = await asyncio.to_thread(
                self._derive, basis.snapshot, fetched, basis.baseline, rules, times
            )
            try:
                poll_id = await self.store.write(
                    save_poll,
                    started_at=started_at,
                    finished_at=self.clock(),
                    calls=calls,
                    orders=fetched.orders,
                    current=derived.current,
                    events=derived.events,
                    alerts=derived.alerts,
                    prune_before=window_start,
                    baseline=basis.baseline,
                    now=started_at,
                    expected_generation=basis.generation,
                )
            except StaleSnapshot as exc:
                log.info("%s; comparing again with the snapshot it saved", exc)
                basis = await self.store.run(read_poll_basis)
                continue
            return derived, basis, poll_id
        raise StoreUnavailable("the snapshot kept changing under the poll (another writer?)")

    def _derive(
        self,
        previous: Mapping[str, SuborderState],
        fetched: Fetched,
        baseline: bool,
        rules: RuleSet,
        times: HoldTimes | None = None,
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
        alerts = build_alerts(events, rules, times=times) if events else []
        return _Derived(current, events, alerts)

    def _unsaved(self, calls_before: int, began: float, error: str) -> PollReport:
        """A poll that the database could not take: nothing changed, nothing recorded."""
        calls = self.client.stats.calls - calls_before
        duration = time.perf_counter() - began
        return PollReport(False, None, calls, 0, 0, 0, 0, duration, error, False, None)

    async def _failed(
        self, started_at: datetime, began: float, calls_before: int, error: str
    ) -> PollReport:
        """Record a poll that could not read Ingram; nothing else changes."""
        calls = self.client.stats.calls - calls_before
        poll_id: int | None = None
        try:
            poll_id = await self.store.write(
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


async def _discard(task: asyncio.Future[object] | None) -> None:
    """Wait for a helper future that is no longer wanted, ignoring what it did."""
    if task is None:
        return
    with contextlib.suppress(BaseException):
        await task
