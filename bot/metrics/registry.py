"""``Metrics``: one running bot's Prometheus registry, its families, and the page.

Each ``Metrics`` has a ``CollectorRegistry`` of its own: two bots in one process (tests, a
benchmark) never count into each other's families, and nothing is registered in
``prometheus_client``'s global default registry. The process's own figures (CPU, memory,
open files) come from ``prometheus_client``'s ``ProcessCollector`` under ``orderbot_process_``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import prometheus_client
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder

from bot.ingram import RateLimiter
from bot.metrics.state import State, StateCollector, read_state
from bot.store import AsyncStore
from bot.watch.writer import Writer

# The ``*_created`` series (when each counter was first used) double the page and tell an
# operator nothing that the process's start time does not.
prometheus_client.disable_created_metrics()

#: What ``GET /metrics`` calls: the scraper's Accept header -> the page and its content type.
MetricsPage = Callable[[str | None], Awaitable[tuple[bytes, str]]]


class Metrics:
    """The families of one running bot. ``render`` makes the page from a ``State``;
    ``page`` binds the reading of that state to the bot's store, writer and rate limiter."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._state = StateCollector()
        self.registry.register(self._state)
        ProcessCollector(namespace="orderbot", registry=self.registry)

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
