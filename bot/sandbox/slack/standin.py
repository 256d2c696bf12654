"""``SlackStandIn``: the workspace and the parts of Slack that serve it, on one aiohttp server.

Routes: ``/api/{method}`` (``web.WebApi`` with the method families), ``/response/{id}``
(``response_url.ResponseUrls``) and ``/socket/{ticket}`` (``socket_mode.SocketMode``), all
sharing the ``Workspace`` the stand-in is and its ``FaultPlan``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from functools import cached_property
from typing import Any, Unpack

from aiohttp import web

from bot.sandbox.slack.faults import Fault, FaultOptions, FaultPlan
from bot.sandbox.slack.messages import Message
from bot.sandbox.slack.response_url import ResponseUrls
from bot.sandbox.slack.socket_mode import SocketMode
from bot.sandbox.slack.web.api import WebApi
from bot.sandbox.slack.web.auth import AuthMethods
from bot.sandbox.slack.web.chat import ChatMethods
from bot.sandbox.slack.web.conversations import ConversationsMethods
from bot.sandbox.slack.workspace import Workspace


class SlackStandIn(Workspace):
    """A real aiohttp server on 127.0.0.1 that answers the app the way Slack would.

    Its settings and records are the ``Workspace``'s (``messages``, ``calls``, ``channels``,
    ``wait_for`` ...); the controls below reach the parts that serve it.
    """

    _runner: web.AppRunner | None = None

    # ---- the parts -------------------------------------------------------------------

    @cached_property
    def faults(self) -> FaultPlan:
        return FaultPlan()

    @cached_property
    def response_urls(self) -> ResponseUrls:
        return ResponseUrls(self, self.faults)

    @cached_property
    def socket_mode(self) -> SocketMode:
        return SocketMode(self, self.faults)

    @cached_property
    def web_api(self) -> WebApi:
        families = (AuthMethods(self), ChatMethods(self), ConversationsMethods(self))
        methods = {name: m for f in families for name, m in f.methods().items()}
        return WebApi(self, self.faults, {**methods, **self.socket_mode.methods()})

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (again) on 127.0.0.1; after ``stop()`` it comes back on the same port."""
        if self._runner is not None:
            return
        app = web.Application()
        app.add_routes(
            [
                web.route("*", "/api/{method}", self.web_api.handle),
                web.post("/response/{id}", self.response_urls.handle),
                web.get("/socket/{ticket}", self.socket_mode.handle),
            ]
        )
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Close every socket and stop listening: clients get connection refused."""
        await self.socket_mode.close_all()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @contextlib.asynccontextmanager
    async def unreachable(self) -> AsyncIterator[None]:
        """Slack out of reach (a network outage, a firewall): nothing listens on the port, so
        every connection is refused, until the block ends and it listens there again."""
        await self.stop()
        try:
            yield
        finally:
            await self.start()

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- faults ----------------------------------------------------------------------

    @property
    def down(self) -> bool:
        """True: Slack is down; every request gets 503 ``service_unavailable``."""
        return self.faults.down

    @down.setter
    def down(self, value: bool) -> None:
        self.faults.down = value

    def fail(self, method: str, **options: Unpack[FaultOptions]) -> Fault:
        """Make the next calls of ``method`` fail: ``status`` (429), ``error``,
        ``retry_after``, ``times``, or misbehave: ``mode`` ("drop", "hang", "html", "empty",
        "truncated"), ``record``, ``hang``; ``channel`` for one channel's calls only (see
        ``FaultPlan.add``)."""
        return self.faults.add(method, **options)

    def clear_faults(self) -> None:
        """Forget every fault ``fail`` queued."""
        self.faults.clear()

    # ---- response_url ----------------------------------------------------------------

    def new_response_url(
        self, *, channel_id: str, user_id: str, message_id: str | None = None
    ) -> str:
        """A fresh response_url (see ``ResponseUrls.new``)."""
        return self.response_urls.new(channel_id=channel_id, user_id=user_id, message_id=message_id)

    def response_url_uses(self, url: str) -> int:
        """How many times ``url`` has been answered to."""
        return self.response_urls.uses(url)

    async def record_ack(self, *, response_url: str, payload: Mapping[str, Any]) -> Message | None:
        """Record what Slack shows for an acknowledgement's body (see ``ResponseUrls``)."""
        return await self.response_urls.record_ack(response_url=response_url, payload=payload)

    # ---- Socket Mode -----------------------------------------------------------------

    @property
    def connections_opened(self) -> int:
        return self.socket_mode.opened

    @property
    def live_connections(self) -> int:
        return self.socket_mode.live_connections

    async def socket_send(
        self,
        type: str,
        payload: Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any]:
        """Deliver an envelope on the newest live connection and return the app's ack
        (``SocketModeTimeout`` after ``timeout``; see ``SocketMode.send``)."""
        return await self.socket_mode.send(type, payload, timeout, accepts_response_payload)

    def go_silent(self) -> int:
        """Make every open connection silently dead (see ``SocketMode.go_silent``)."""
        return self.socket_mode.go_silent()

    async def send_disconnect(self, reason: str = "refresh_requested") -> int:
        """Send Slack's ``disconnect`` message to every live connection."""
        return await self.socket_mode.send_disconnect(reason)

    async def disconnect_all(self) -> int:
        """Close every Socket Mode connection from Slack's side; returns how many."""
        return await self.socket_mode.disconnect_all()

    async def wait_connections(self, n: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``connections_opened`` reaches ``n`` (e.g. to see the app reconnect)."""
        await self.socket_mode.wait_connections(n, timeout)
