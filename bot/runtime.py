"""``orderbot serve``: every part of orderbot in one event loop.

``Orderbot`` loads the rules (refusing to start on invalid ones; later, SIGHUP or a change to
their files reloads them: ``bot.watch.rules_reload``), opens the database, builds the Ingram
client, listens (HTTP mode: ``POST /slack/events``, ``GET /healthz`` and ``GET /metrics`` on
one port; Socket Mode: ``/healthz`` and ``/metrics`` on the health port; the metrics have a
registry of this bot's own, ``bot.metrics``), checks the bot token with Slack, builds
the use cases and the Slack app, starts the notifier and the poller, and in Socket Mode opens
the connection to Slack. A token Slack refuses stops start-up at once; Slack out of reach is
retried (``bot.slack.connect``) while ``/healthz`` answers 503 naming slack.

``stop`` shuts down in the safe order: stop taking requests, stop the poller (a poll in
flight is abandoned without half-written state), let the notifier finish the post in flight,
give the writer lease up, close the Ingram client and the database.

One writer per database: the poller and the notifier run only while this process holds the
writer lease (``bot.watch.writer``). A second ``serve`` on the same database answers Slack
commands, says in its log and ``/healthz`` that it is a standby, and takes over when the
holder stops. ``orderbot poll --once`` takes the lease for its run, and refuses to run while
a ``serve`` holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Mapping
from typing import Any

import httpx
from aiohttp import web

from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.health import outbox_health, poller_health, store_health, writer_health
from bot.ingram import IngramClient
from bot.ingram.windows import window_for
from bot.log import add_secrets
from bot.metrics import Metrics
from bot.orders import OrderService
from bot.retention import Retention
from bot.slack.app import build_app, web_client
from bot.slack.connect import SlackConnection
from bot.slack.endpoint import SlackEndpoint
from bot.slack.server import HttpServer, PartHealth, SocketModeRunner, web_application
from bot.slack.services import Services
from bot.store import (
    AsyncStore,
    LeaseHolder,
    StoreUnavailable,
    last_poll,
    last_successful_poll,
    outbox_stats,
    read_poll_basis,
)
from bot.watch.notifier import Notifier
from bot.watch.poller import Poller
from bot.watch.rules import RuleSet
from bot.watch.rules_reload import RulesInForce
from bot.watch.scheduled import Scheduled
from bot.watch.writer import Writer

log = logging.getLogger("orderbot")

#: The variable that chooses the /healthz port in Socket Mode.
HEALTH_PORT = "ORDERBOT_HEALTH_PORT"


def freeze_startup_objects() -> None:
    """Keep what start-up allocated (modules, settings, rules, the app) out of the garbage
    collector's full passes, which would otherwise scan it again and again: a pause of tens of
    milliseconds that can land in the middle of a burst of Slack commands."""
    gc.collect()
    gc.freeze()


class Orderbot:
    """The running bot. ``await start()``, then ``await stop()``.

    ``ingram_options`` are passed on to ``IngramClient`` (tests and the demo
    give a faster ``retry`` policy); ``slack_connection`` retries start-up's calls to Slack
    (tests give it shorter delays).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        host: str = "0.0.0.0",  # noqa: S104 - Slack must reach the request URL
        port: int | None = None,
        ingram_transport: httpx.AsyncBaseTransport | None = None,
        socket_ping_interval: float = 10.0,
        ingram_options: Mapping[str, Any] | None = None,
        slack_connection: SlackConnection | None = None,
        warn_new_db: bool = True,
    ) -> None:
        self.settings = settings
        #: Whether to warn that a new database's first poll is a baseline (not for a
        #: database made fresh on purpose, as the demo's).
        self.warn_new_db = warn_new_db
        self.clock = clock
        self.host = host
        self.port = settings.bot.port if port is None else port
        self._port_named = "ORDERBOT_PORT" if port is None else "--port"
        self._transport = ingram_transport
        self._socket_ping_interval = socket_ping_interval
        self._ingram_options = dict(ingram_options or {})
        self.started_at = clock()
        self.store: AsyncStore | None = None
        self.writer: Writer | None = None
        self.client: IngramClient | None = None
        self.poller: Poller | None = None
        #: The rules in force, reloaded on SIGHUP and when their files change.
        self.rules: RulesInForce | None = None
        self.notifier: Notifier | None = None
        self.retention: Retention | None = None
        self.scheduled: Scheduled | None = None
        self.socket: SocketModeRunner | None = None
        self.http: HttpServer | None = None
        self.endpoint: SlackEndpoint | None = None
        self.services: Services | None = None
        self.app = None
        #: This bot's metrics (a registry of its own), served at ``/metrics``.
        self.metrics = Metrics()
        #: True once ``start`` finished: the bot served (``stop`` then says it stopped).
        self.served = False
        #: Start-up's connection to Slack, and what /healthz says of it until it is up.
        self.connection = slack_connection or SlackConnection()

    # --- start and stop --------------------------------------------------------------------

    async def start(self) -> None:
        """Start every part; returns once orderbot serves.

        What can be checked here fails fast, with one line (``RulesError``, ``StoreError``,
        ``StartupError`` for a port, or a token Slack refuses). Listening comes before Slack:
        while Slack is out of reach, start-up keeps trying and ``/healthz`` already answers
        503 naming slack. ``stop`` may be called at any moment of it (SIGTERM does)."""
        s = self.settings
        # RulesError: refuse to start, naming the problem.
        self.rules = await RulesInForce.load(
            s.bot.rules_location(),
            clock=self.clock,
            check_interval=s.bot.rules_check,
            on_reload=self._rules_reloaded,
        )
        self.started_at = self.clock()
        add_secrets(s.secrets())  # masked in what orderbot logs, shows in Slack and stores
        self.store = await AsyncStore.open(s.bot.db_path, clock=self.clock)
        if self.warn_new_db:
            await warn_if_new(self.store)
        self.writer = Writer(
            self.store, LeaseHolder.here("serve"), ttl=s.bot.lease_seconds, clock=self.clock
        )
        self.client = IngramClient(
            s.ingram,
            clock=self.clock,
            transport=self._transport,
            on_call=self.metrics.ingram_call,
            **self._ingram_options,
        )
        page = self.metrics.page(self.store, writer=self.writer, limiter=self.client.limiter)
        if s.slack.socket_mode:
            web_app = web_application(None, self.health, page)
            self.http = HttpServer(web_app, self.host, s.bot.health_port, named=HEALTH_PORT)
        else:
            web_app = web_application(self._slack_request, self.health, page)
            self.http = HttpServer(web_app, self.host, self.port, named=self._port_named)
        await self.http.start()
        log.info("orderbot listening: /healthz on port %d; connecting to Slack", self.http.port)

        slack = web_client(s.slack)
        identity = await self.connection.retry(
            "checking SLACK_BOT_TOKEN (auth.test)", "SLACK_BOT_TOKEN", slack.auth_test
        )
        log.info("Slack bot token ok: %s in %s", identity.get("user"), identity.get("team"))
        orders = OrderService(
            self.client, self.store, delete_allowed=s.bot.delete_allowed, clock=self.clock
        )
        self.services = Services(
            orders,
            self.store,
            self.clock,
            s.bot.poll_interval,
            rules=self.rules,
            on_command=self.metrics.order_command,
        )
        self.app = build_app(s.slack, self.services, dict(identity.data))
        await self.writer.start()
        self.retention = Retention(
            self.store,
            self.writer,
            days=s.bot.retention_days,
            audit_days=s.bot.audit_retention_days,
            clock=self.clock,
        )
        self.retention.start()
        self.notifier = Notifier(
            self.store,
            slack,
            clock=self.clock,
            writer=self.writer,
            post_timeout=s.slack.timeout,
            on_post=self.metrics.slack_post,
        )
        self.services.wake_outbox = self.notifier.wake
        self.notifier.start()
        rules = self.rules
        self.scheduled = Scheduled(
            self.store,
            self.writer,
            lambda: rules.ruleset,
            clock=self.clock,
            on_queued=self.notifier.wake,
            zone=window_for(s.ingram.country).zone,
        )
        self.scheduled.start()
        if s.bot.poll_interval > 0:
            self.poller = Poller(
                self.client,
                self.store,
                self.rules.ruleset,
                interval=s.bot.poll_interval,
                lookback_days=s.bot.lookback_days,
                clock=self.clock,
                on_alerts=self.notifier.wake,
                writer=self.writer,
                on_report=self.metrics.poll,
            )
            self.poller.start()
        self.rules.start()
        if s.slack.app_token is not None:
            self.socket = SocketModeRunner(
                self.app, s.slack.app_token.reveal(), ping_interval=self._socket_ping_interval
            )
            await self.socket.start(self.connection)
        else:
            secret = s.slack.signing_secret.reveal()
            self.endpoint = SlackEndpoint(self.app, secret, self.services)
        self.connection.connected()
        self.served = True
        mode = (
            "Socket Mode" if self.socket else f"HTTP mode, request URL {self.http.url}/slack/events"
        )
        log.info(
            "orderbot serving (%s, /healthz on port %d, poll every %g s, %d rules)",
            mode,
            self.http.port,
            s.bot.poll_interval,
            self.rules.count,
        )

    def _rules_reloaded(self, ruleset: RuleSet) -> None:
        """New rules are in force: the poller takes them from its next poll."""
        if self.poller is not None:
            self.poller.rules = ruleset

    def _sighup(self) -> None:
        if self.rules is None:
            log.info("SIGHUP before the rules were loaded: nothing to reload yet")
            return
        log.info("SIGHUP: reloading the rules from %s", self.rules.source)
        self.rules.request_reload()

    async def _slack_request(self, request: web.Request) -> web.StreamResponse:
        """``POST /slack/events``: the endpoint once Slack accepted the bot token; 503 before
        (Slack retries a request it gets no answer to)."""
        if self.endpoint is None:
            return web.Response(status=503, text="orderbot is starting: not connected to Slack")
        return await self.endpoint.handle(request)

    async def stop(self) -> None:
        """Shut down safely; every step runs even if an earlier one fails."""
        steps = [
            ("http", self.http.stop if self.http else None),
            ("socket", self.socket.stop if self.socket else None),
            ("requests", self.endpoint.drain if self.endpoint else None),
            ("answers", self.services.drain if self.services else None),
            ("poller", self.poller.stop if self.poller else None),
            ("rules", self.rules.stop if self.rules else None),
            ("notifier", self.notifier.stop if self.notifier else None),
            ("retention", self.retention.stop if self.retention else None),
            ("scheduled", self.scheduled.stop if self.scheduled else None),
            ("lease", self.writer.stop if self.writer else None),
            ("ingram", self.client.aclose if self.client else None),
            ("store", self.store.close if self.store else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                await step()
            except Exception as exc:
                log.warning("stopping %s failed: %s", name, type(exc).__name__)
        if self.served:
            log.info("orderbot stopped")

    async def run_until_signalled(self) -> None:
        """Start, serve until SIGTERM or SIGINT (SIGHUP reloads the rules), then stop. A signal
        during start-up (Slack out of reach, a slow database) stops it there: nothing waits
        for start to finish."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stopping.set)
        with contextlib.suppress(NotImplementedError, AttributeError):  # no SIGHUP on Windows
            loop.add_signal_handler(signal.SIGHUP, self._sighup)
        starting = asyncio.create_task(self.start(), name="orderbot-start")
        signalled = asyncio.create_task(stopping.wait(), name="orderbot-signal")
        try:
            await asyncio.wait({starting, signalled}, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # a start-up failure: raised here, after stop below
                freeze_startup_objects()
                await signalled
            log.info("signal received; shutting down")
        finally:
            for task in (starting, signalled):
                task.cancel()
            await asyncio.gather(starting, signalled, return_exceptions=True)
            await self.stop()

    # --- health ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the HTTP server (request URL is ``{url}/slack/events``)."""
        assert self.http is not None
        return self.http.url.replace("0.0.0.0", "127.0.0.1")  # noqa: S104

    async def health(self) -> dict[str, PartHealth]:
        """Each part's health, for ``/healthz``."""
        assert self.store is not None
        now = self.clock()
        if self.connection.problem is not None:
            slack = PartHealth(False, self.connection.problem)
        elif self.socket is not None:
            up = await self.socket.connected()
            slack = PartHealth(
                up,
                "Socket Mode connected" if up else "Socket Mode is not connected",
                {"reconnects": self.socket.watchdog.reconnects},
            )
        else:
            slack = PartHealth(True, "answering Slack requests (HTTP mode)")
        store = store_health(self.store.describe_fault())
        writer = writer_health(self.writer.describe() if self.writer else "not started")
        try:
            last = await self.store.run(last_poll)
            last_ok = await self.store.run(last_successful_poll)
            stats = await self.store.run(outbox_stats, now)
        except StoreUnavailable:
            return {"slack": slack, "store": store_health(self.store.describe_fault())}
        report = self.poller.last_report if self.poller else None
        standby = self.writer is not None and not self.writer.held
        poller = poller_health(
            interval=self.settings.bot.poll_interval,
            last=last,
            last_ok=last_ok,
            skipped=report.skipped if report else None,
            started_at=self.started_at,
            now=now,
            standby=standby,
        )
        outbox = outbox_health(stats, now, standby=standby)
        return {
            "slack": slack,
            "store": store,
            "writer": writer,
            "poller": poller,
            "outbox": outbox,
        }


async def warn_if_new(store: AsyncStore) -> None:
    """A new, empty database makes the next poll a baseline: say so, in case the path is
    wrong (a volume not mounted, a typo in ORDERBOT_DB)."""
    if store.created or (await store.run(read_poll_basis)).baseline:
        log.warning(
            "ORDERBOT_DB=%s is a new, empty database: the first poll records a baseline and"
            " posts no alerts. If orderbot ran before, check ORDERBOT_DB (and the volume it is"
            " on) or restore a backup (see README, Operations).",
            store.path,
        )
