"""Socket Mode: the websocket Slack opens for an app that has no public request URL.

``apps.connections.open`` (a Web API method, served here with the sockets it opens) hands out
``ws://{host}:{port}/socket/<ticket>``. The socket says ``hello``, delivers envelopes
(``send``), waits for the app's acks, answers pings, and can "go silent" like a long-running
Socket Mode connection that has quietly died, send Slack's ``disconnect`` message, or close.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.sandbox.slack.faults import FaultPlan
from bot.sandbox.slack.web.api import Method
from bot.sandbox.slack.workspace import Workspace


class SocketModeTimeout(TimeoutError):
    """No live Socket Mode connection took the envelope, or the app did not ack in time."""


@dataclass
class _Connection:
    number: int
    ws: web.WebSocketResponse
    silent: bool = False
    closed: bool = False


class SocketMode:
    """Every Socket Mode connection of the app, and the ``/socket/{ticket}`` route."""

    def __init__(self, workspace: Workspace, faults: FaultPlan) -> None:
        self.workspace = workspace
        self.faults = faults
        #: How many connections have been opened so far.
        self.opened = 0
        self._tickets = itertools.count(1)
        self._open_tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._pending_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family serves, by name."""
        return {"apps.connections.open": self.connections_open}

    async def connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """``apps.connections.open``: a ticket for one new socket."""
        ticket = f"{next(self._tickets)}-{secrets.token_hex(4)}"
        self._open_tickets.add(ticket)
        return {"url": f"ws://{self.workspace.host}:{self.workspace.port}/socket/{ticket}"}

    @property
    def live_connections(self) -> int:
        return sum(1 for c in self._connections if not c.closed)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /socket/{ticket}``: one websocket, served until either side closes it."""
        ticket = request.match_info["ticket"]
        if self.faults.down:
            return web.Response(status=503, text="service_unavailable")
        if ticket not in self._open_tickets:
            return web.Response(status=401, text="invalid_auth")
        ws = web.WebSocketResponse(autoping=False, timeout=1.0)
        await ws.prepare(request)
        self.opened += 1
        connection = _Connection(number=self.opened, ws=ws)
        self._connections.append(connection)
        self.workspace.notify()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": self.live_connections,
                    "debug_info": {
                        "host": "applink-sandbox",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.workspace.app_id},
                }
            )
            async for frame in ws:
                if connection.silent:
                    continue  # nothing gets through a connection that has gone silent
                if frame.type == WSMsgType.PING:
                    await ws.pong(frame.data)
                elif frame.type == WSMsgType.TEXT:
                    self._on_text(frame.data)
        finally:
            connection.closed = True
            self._connections.remove(connection)
            self.workspace.notify()
        return ws

    def _on_text(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            return
        if not isinstance(ack, dict):
            return
        future = self._pending_acks.get(str(ack.get("envelope_id")))
        if future is not None and not future.done():
            future.set_result(ack)

    def _newest_connection(self) -> _Connection | None:
        live = [c for c in self._connections if not c.closed and not c.silent]
        return live[-1] if live else None

    async def send(
        self,
        type: str,
        payload: Mapping[str, Any],
        timeout: float,  # noqa: ASYNC109 - a deadline is what callers want to give
        accepts: bool | None,
    ) -> dict[str, Any]:
        """Deliver an envelope (``slash_commands``, ``interactive`` or ``events_api``) on the
        newest live connection and return the app's ack message (``{"envelope_id",
        "payload"?}``); ``accepts``: its ``accepts_response_payload`` (None: only for a slash
        command). Waits up to ``timeout`` for a live connection and for the ack; raises
        ``SocketModeTimeout`` otherwise."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": dict(payload),
            "accepts_response_payload": type == "slash_commands" if accepts is None else accepts,
        }
        if type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = future
        try:
            async with asyncio.timeout(timeout):
                while (connection := self._newest_connection()) is None:
                    await self.workspace.wait_change()
                await connection.ws.send_json(envelope)
                return await future
        except TimeoutError:
            raise SocketModeTimeout(
                f"no ack for the {type} envelope within {timeout}s "
                f"({self.live_connections} live Socket Mode connections)"
            ) from None
        finally:
            self._pending_acks.pop(envelope_id, None)

    def go_silent(self) -> int:
        """Make every open connection silently dead: it stays open but delivers nothing and
        answers no ping (neither aiohttp's heartbeat nor slack_sdk's ``sdk-ping-pong``).
        New connections work normally. Returns how many connections went silent."""
        count = 0
        for connection in self._connections:
            if not connection.closed and not connection.silent:
                connection.silent = True
                count += 1
        return count

    async def send_disconnect(self, reason: str = "refresh_requested") -> int:
        """Send Slack's ``{"type": "disconnect"}`` message to every live connection (Slack
        does this before it recycles a connection); returns how many got it."""
        sent = 0
        for connection in list(self._connections):
            if not connection.closed and not connection.silent:
                await connection.ws.send_json(
                    {
                        "type": "disconnect",
                        "reason": reason,
                        "debug_info": {"host": "applink-sandbox"},
                    }
                )
                sent += 1
        return sent

    async def disconnect_all(self) -> int:
        """Close every Socket Mode connection from Slack's side; returns how many."""
        connections = [c for c in self._connections if not c.closed]
        for connection in connections:
            await self._close(connection, WSCloseCode.OK)
        return len(connections)

    async def _close(self, connection: _Connection, code: int) -> None:
        connection.closed = True
        with contextlib.suppress(Exception):
            await connection.ws.close(code=code)

    async def wait_connections(self, n: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``n`` connections have been opened (e.g. to see the app reconnect)."""
        await self.workspace.wait_until(
            lambda: self.opened >= n,
            timeout,
            lambda: f"expected {n} Socket Mode connections within {timeout}s, got {self.opened}",
        )

    async def close_all(self) -> None:
        """Close every socket as Slack does when it goes away, and fail every pending send."""
        for connection in list(self._connections):
            await self._close(connection, WSCloseCode.GOING_AWAY)
        for future in self._pending_acks.values():
            if not future.done():
                future.set_exception(SocketModeTimeout("the Slack stand-in stopped"))
        self._pending_acks.clear()
