"""``orderbot poll --once``: one poll and its deliveries, as the writer of the database.

It takes the writer lease for its run (``bot.watch.writer``), and refuses to run while
``orderbot serve`` holds it: serve polls that database already.
"""

from __future__ import annotations

from bot.clock import Clock, utc_now
from bot.config import BotSettings, SlackSettings
from bot.ingram import IngramClient, IngramSettings
from bot.runtime import warn_if_new
from bot.slack.app import web_client
from bot.store import AsyncStore, LeaseHolder
from bot.watch.notifier import Notifier
from bot.watch.poller import Poller
from bot.watch.rules_loading import load_rules
from bot.watch.writer import Writer


class PollOutcome:
    """What ``orderbot poll --once`` prints, whether it succeeded, and (when not) the one line
    saying why and the exit status (3: Ingram could not be read; 1: refused)."""

    def __init__(self, ok: bool, summary: str, problem: str = "", status: int = 3) -> None:
        self.ok = ok
        self.summary = summary
        self.problem = problem
        self.status = status


async def poll_once(
    ingram: IngramSettings,
    slack: SlackSettings,
    bot: BotSettings,
    *,
    clock: Clock = utc_now,
    delivery_timeout: float = 30.0,
) -> PollOutcome:
    """One poll, then deliver what it (or an earlier run) left in the outbox."""
    rules = load_rules(bot.rules_location())
    async with await AsyncStore.open(bot.db_path, clock=clock) as store:
        await warn_if_new(store)
        writer = Writer(
            store,
            LeaseHolder.here("poll --once"),
            ttl=bot.lease_seconds,
            clock=clock,
            announce=False,
        )
        await writer.start()
        try:
            if not writer.held:
                holder = writer.other.describe() if writer.other else "another orderbot"
                return PollOutcome(
                    False,
                    "poll not run",
                    f"{holder} is polling this database ({store.path}) and delivering its"
                    " alerts; poll --once does nothing while it runs",
                    status=1,
                )
            async with IngramClient(ingram, clock=clock) as client:
                poller = Poller(
                    client,
                    store,
                    rules,
                    interval=0,
                    lookback_days=bot.lookback_days,
                    clock=clock,
                    writer=writer,
                )
                report = await poller.poll_once()
            notifier = Notifier(
                store, web_client(slack), clock=clock, writer=writer, post_timeout=slack.timeout
            )
            delivery = await notifier.drain(delivery_timeout)
        finally:
            await writer.stop()
        fault = store.describe_fault()
    if report.skipped:
        return PollOutcome(True, f"poll skipped: {report.skipped}")
    if not report.ok and fault:
        return PollOutcome(False, "poll not saved; nothing was changed", fault, status=1)
    if not report.ok:
        return PollOutcome(
            False,
            f"poll failed after {report.calls} Ingram calls; nothing was changed",
            f"Ingram could not be read: {report.error}",
        )
    summary = (
        f"poll ok{' (baseline: no alerts on a first poll)' if report.baseline else ''}:"
        f" {report.orders} orders, {report.suborders} shipments, {report.calls} Ingram calls,"
        f" {report.events} changes, {report.alerts} alerts; delivered {delivery.delivered}"
    )
    if delivery.pending or delivery.dead:
        summary += (
            f"; {delivery.pending} still waiting in the outbox (kept for the next run),"
            f" {delivery.dead} dead letters"
        )
    if delivery.dead:
        summary += " (`orderbot outbox list --dead` says why; `orderbot outbox retry` retries)"
    return PollOutcome(True, summary)
