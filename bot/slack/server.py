"""Serve the Slack app: HTTP mode (Slack's request URL at ``POST /slack/events``) or
Socket Mode (no public URL), both with ``GET /healthz`` and ``GET /metrics``.

Long-running Socket Mode clients are known to go deaf: the websocket stays open, or the SDK's
own receive and ping tasks die, and events simply stop arriving. ``SocketWatchdog`` checks
what the SDK does not: that the receiver task is alive, that the session is open and that a
pong or a message arrived recently; otherwise it logs why and opens a new connection. It is
the one place that decides to reconnect: the SDK's own monitor would race it and open two
connections for one failure (Slack's ``disconnect`` refresh is still handled by the SDK).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient

from bot.config import StartupError
from bot.slack.connect import SlackConnection

log = logging.getLogger("orderbot.slack")


class _OneLine(logging.Filter):
    """slack_sdk logs a failed Socket Mode connect with its traceback; the message already
    says what failed, so the traceback goes (one line per failure)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


#: What the Socket Mode client (slack_sdk) logs through.
SOCKET_LOG = logging.getLogger("orderbot.slack.socket")
SOCKET_LOG.addFilter(_OneLine())

#: Connections the HTTP server's listen queue holds while the loop is busy.
LISTEN_BACKLOG = 1024


@dataclass
class PartHealth:
    """One part of orderbot as ``/healthz`` reports it."""

    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


HealthCheck = Callable[[], Awaitable[dict[str, PartHealth]]]


def health_response(parts: dict[str, PartHealth]) -> web.Response:
    """200 with every part when all are ok, 503 naming the unhealthy ones otherwise."""
    ok = all(p.ok for p in parts.values())
    body = {
        "ok": ok,
        "unhealthy": sorted(name for name, p in parts.items() if not p.ok),
        "parts": {name: {"ok": p.ok, "detail": p.detail, **p.data} for name, p in parts.items()},
    }
    return web.Response(
        status=200 if ok else 503,
        text=json.dumps(body, default=str),
        content_type="application/json",
    )


#: What answers Slack's requests at ``POST /slack/events`` (``SlackEndpoint.handle``).
RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: What makes the ``/metrics`` page: the scraper's Accept header -> the page and its content
#: type (``bot.metrics.Metrics.page``).
MetricsPage = Callable[[str | None], Awaitable[tuple[bytes, str]]]


def web_application(
    events: RequestHandler | None, health: HealthCheck, metrics: MetricsPage | None = None
) -> web.Application:
    """The aiohttp application: Slack's request URL (when ``events`` is given, HTTP mode),
    ``/healthz`` and, when ``metrics`` is given, ``/metrics`` for Prometheus."""
    web_app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        return health_response(await health())

    web_app.router.add_get("/healthz", healthz)
    if metrics is not None:

        async def metrics_page(request: web.Request) -> web.Response:
            body, content_type = await metrics(request.headers.get("Accept"))
            return web.Response(body=body, headers={"Content-Type": content_type})

        web_app.router.add_get("/metrics", metrics_page)
    if events is not None:
        web_app.router.add_post("/slack/events", events)
    return web_app


def listen_problem(exc: OSError, host: str, port: int, named: str) -> str:
    """One line saying why ``host:port`` cannot be listened on; ``named`` is the flag or
    variable that chose the port."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is already in use ({named}): stop what listens there, or give"
            f" {named} a free port"
        )
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on port {port} ({named}); ports below 1024 need root:"
            f" give {named} a port from 1024 up"
        )
    reason = exc.strerror or type(exc).__name__
    return f"cannot listen on {host}:{port} ({named}): {reason}"


class HttpServer:
    """An aiohttp server on a host and port (port 0 picks a free one)."""

    def __init__(
        self, web_app: web.Application, host: str, port: int, *, named: str = "--port"
    ) -> None:
        self._runner = web.AppRunner(
            web_app, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        self.host = host
        self.port = port
        self.named = named

    async def start(self) -> int:
        """Start listening; returns the port. ``StartupError`` (one line naming the port and
        ``named``, the flag or variable that chose it) when it cannot."""
        await self._runner.setup()
        # Slack opens a connection per request; a burst of commands must not overflow the
        # listen queue (the kernel would drop SYNs and the client retry after a whole second).
        site = web.TCPSite(self._runner, self.host, self.port, backlog=LISTEN_BACKLOG)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(listen_problem(exc, self.host, self.port, self.named)) from None
        self.port = self._runner.addresses[0][1]
        return self.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop taking requests and let those in flight finish (up to 5 s)."""
        await self._runner.cleanup()


class SocketWatchdog:
    """Reconnects a Socket Mode client that has silently stopped receiving."""

    def __init__(
        self, client: SocketModeClient, *, stale_after: float = 60.0, check_every: float = 10.0
    ) -> None:
        self.client = client
        self.stale_after = stale_after
        self.check_every = check_every
        self.reconnects = 0
        self.last_message = time.time()
        self._task: asyncio.Task[None] | None = None
        client.on_message_listeners.append(self._saw_message)
        client.default_auto_reconnect_enabled = False
        client.auto_reconnect_enabled = False

    async def _saw_message(self, _message: Any) -> None:
        self.last_message = time.time()

    def last_activity(self) -> float:
        """UNIX time of the last message or pong from Slack."""
        return max(self.last_message, self.client.last_ping_pong_time or 0.0)

    def problem(self) -> str | None:
        """Why the connection looks dead, or None while it looks alive."""
        client = self.client
        if client.closed:
            return None
        receiver = client.message_receiver
        if receiver is None or receiver.done():
            return "its receiver task has stopped"
        session = client.current_session
        if session is None or session.closed:
            return "its websocket is closed"
        silent = time.time() - self.last_activity()
        if silent > self.stale_after:
            return f"nothing (not even a pong) has arrived for {silent:.0f} s"
        return None

    async def check(self) -> bool:
        """Reconnect if the connection looks dead; True when it did."""
        if self.problem() is None:
            return False
        client = self.client
        # The SDK takes this lock to follow Slack's "disconnect" refresh; look again once it
        # is ours, so that one failure never opens two connections.
        async with client.connect_operation_lock:
            reason = self.problem()
            if reason is None:
                return False
            self.reconnects += 1
            log.warning("Socket Mode connection looks dead: %s; reconnecting", reason)
            self.last_message = time.time()  # give the new connection its full grace period
            client.wss_uri = await client.issue_new_wss_url()
            await client.connect()
        log.info("Socket Mode reconnected (reconnect #%d)", self.reconnects)
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            try:
                await self.check()
            except Exception as exc:  # keep watching; the next check tries again
                log.warning("Socket Mode reconnect failed: %s", type(exc).__name__)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="socket-mode-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class SocketModeRunner:
    """Socket Mode: the app's connection to Slack, its watchdog, and a small health server."""

    def __init__(
        self,
        app: AsyncApp,
        app_token: str,
        *,
        ping_interval: float = 10.0,
        stale_after: float | None = None,
        check_every: float | None = None,
    ) -> None:
        self.handler = AsyncSocketModeHandler(
            app, app_token, logger=SOCKET_LOG, ping_interval=ping_interval
        )
        #: How long one try to open the websocket may take (the SDK retries inside it).
        self.connect_timeout = 5.0 + ping_interval
        self.watchdog = SocketWatchdog(
            self.handler.client,
            stale_after=stale_after if stale_after is not None else ping_interval * 3,
            check_every=check_every if check_every is not None else ping_interval,
        )

    async def start(self, connection: SlackConnection) -> None:
        """Open the connection, retrying while Slack is out of reach (``StartupError`` naming
        SLACK_APP_TOKEN when Slack refuses it), then watch it."""
        await connection.retry(
            "opening the Socket Mode connection (apps.connections.open)",
            "SLACK_APP_TOKEN",
            self._open,
        )
        self.watchdog.start()

    async def _open(self) -> None:
        # The SDK's own connect() keeps retrying a URL it already has, forever, and turns a
        # refused token into a log line every 10 s; so the URL is asked for here, where a
        # refusal is told from an outage, and each try gets a fresh one.
        client = self.handler.client
        answer = await client.web_client.apps_connections_open(app_token=client.app_token)
        client.wss_uri = answer["url"]
        async with asyncio.timeout(self.connect_timeout):
            await client.connect()

    async def connected(self) -> bool:
        return await self.handler.client.is_connected() and self.watchdog.problem() is None

    async def stop(self) -> None:
        await self.watchdog.stop()
        await self.handler.close_async()
