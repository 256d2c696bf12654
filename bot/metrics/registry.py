"""``Metrics``: one running bot's Prometheus registry, its families, and the page.

Each ``Metrics`` has a ``CollectorRegistry`` of its own: two bots in one process (tests, a
benchmark) never count into each other's families, and nothing is registered in
``prometheus_client``'s global default registry. The process's own figures (CPU, memory,
open files) come from ``prometheus_client``'s ``ProcessCollector`` under ``orderbot_process_``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder

from bot.ingram import CallRecord, RateLimiter
from bot.metrics.state import State, StateCollector, read_state
from bot.store import AsyncStore
from bot.watch.poller import PollReport
from bot.watch.writer import Writer

# The ``*_created`` series (when each counter was first used) double the page and tell an
# operator nothing that the process's start time does not.
prometheus_client.disable_created_metrics()

#: What ``GET /metrics`` calls: the scraper's Accept header -> the page and its content type.
MetricsPage = Callable[[str | None], Awaitable[tuple[bytes, str]]]

#: Histogram buckets, in seconds: one Ingram call, one poll, one Slack post, one /order.
INGRAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
POLL_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
SLACK_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COMMAND_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
#: The outcomes of a poll, each counted from 0 so that alerting rules see them at once.
POLL_OUTCOMES = ("ok", "failed", "skipped")
#: The ``status`` label of an Ingram call that got no answer (a timeout, a connection error).
NO_ANSWER = "no_answer"


class Metrics:
    """The families of one running bot. ``render`` makes the page from a ``State``;
    ``page`` binds the reading of that state to the bot's store, writer and rate limiter."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self._state = StateCollector()
        r.register(self._state)
        ProcessCollector(namespace="orderbot", registry=r)
        self.ingram_calls = Counter(
            "orderbot_ingram_calls",
            "Requests sent to Ingram Micro, by API (lookup, delete, token) and the HTTP status"
            " it answered (no_answer: a timeout or a connection error); each retry counts",
            ["api", "status"],
            registry=r,
        )
        self.ingram_seconds = Histogram(
            "orderbot_ingram_call_duration_seconds",
            "How long one request to Ingram Micro took, by API",
            ["api"],
            buckets=INGRAM_BUCKETS,
            registry=r,
        )
        self.polls = Counter(
            "orderbot_polls",
            "Polls of the hold watcher by outcome: ok, failed (Ingram could not be read, or"
            " the poll could not be saved), skipped (outside Ingram's availability window)",
            ["outcome"],
            registry=r,
        )
        for outcome in POLL_OUTCOMES:
            self.polls.labels(outcome)
        self.poll_seconds = Histogram(
            "orderbot_poll_duration_seconds",
            "How long a poll took (reading Ingram, comparing, writing), by outcome",
            ["outcome"],
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.events = Counter(
            "orderbot_events",
            "Changes the polls found, by kind (hold_placed, hold_released, ...)",
            ["kind"],
            registry=r,
        )
        self.alerts = Counter(
            "orderbot_alerts",
            "Messages the rules queued in the outbox, by rule and kind (alert, digest)",
            ["rule", "kind"],
            registry=r,
        )
        self.slack_seconds = Histogram(
            "orderbot_slack_post_duration_seconds",
            "How long one post of the outbox to Slack took, by Web API method",
            ["method"],
            buckets=SLACK_BUCKETS,
            registry=r,
        )
        self.slack_errors = Counter(
            "orderbot_slack_post_errors",
            "Posts to Slack that failed, by method and error (Slack's error code, or timeout,"
            " connect_error, connection_error, not_slack_json)",
            ["method", "error"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "orderbot_order_command_duration_seconds",
            "How long /order took from the command to its answer, by subcommand",
            ["subcommand"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )

    # --- what the parts report -------------------------------------------------------------

    def ingram_call(self, record: CallRecord) -> None:
        """One request to Ingram (``IngramClient``'s ``on_call``)."""
        status = str(record.status) if record.status is not None else NO_ANSWER
        self.ingram_calls.labels(record.api, status).inc()
        self.ingram_seconds.labels(record.api).observe(record.seconds)

    def poll(self, report: PollReport) -> None:
        """One poll, or one skipped (``Poller``'s ``on_report``)."""
        self.polls.labels(report.outcome).inc()
        if report.outcome != "skipped":
            self.poll_seconds.labels(report.outcome).observe(report.duration_s)
        for kind, count in report.event_kinds.items():
            self.events.labels(kind).inc(count)
        for (rule, kind), count in report.alert_rules.items():
            self.alerts.labels(rule, kind).inc(count)

    def slack_post(self, method: str, seconds: float, error: str | None) -> None:
        """One post to Slack (``Notifier``'s ``on_post``)."""
        self.slack_seconds.labels(method).observe(seconds)
        if error is not None:
            self.slack_errors.labels(method, error).inc()

    def order_command(self, subcommand: str, seconds: float) -> None:
        """One ``/order`` answered (``Services.on_command``)."""
        self.command_seconds.labels(subcommand).observe(seconds)

    def render(self, state: State, accept: str | None = None) -> tuple[bytes, str]:
        """The page for ``state``, in the format ``accept`` asks for: Prometheus's text
        format, or OpenMetrics when the scraper prefers it."""
        self._state.state = state
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type

    def page(
        self,
        store: AsyncStore,
        *,
        writer: Writer | None = None,
        limiter: RateLimiter | None = None,
    ) -> MetricsPage:
        """``GET /metrics`` of a bot: the state read at each scrape, then the page."""

        async def metrics_page(accept: str | None) -> tuple[bytes, str]:
            return self.render(await read_state(store, writer=writer, limiter=limiter), accept)

        return metrics_page
