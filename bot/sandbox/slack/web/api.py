"""Answering a Web API call as Slack does: the envelope, tokens, scopes, faults, the log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.faults import Fault, FaultPlan, misbehave
from bot.sandbox.slack.messages import ApiCall
from bot.sandbox.slack.workspace import DEFAULT_SCOPES, Workspace

#: A Web API method: its arguments in, the fields of its ``ok: true`` answer out (or ApiError).
Method = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

# Which bot scope each method needs (checked only when the stand-in is given ``scopes``).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "conversations.info": ("channels:read", "groups:read", "im:read", "mpim:read"),
    # Checked again by channel type by the method itself (a private channel needs
    # groups:history, a public one channels:history).
    "conversations.history": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history", "mpim:history"),
}

_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class WebApi:
    """The ``/api/{method}`` route, serving ``methods`` for ``workspace``."""

    def __init__(
        self, workspace: Workspace, faults: FaultPlan, methods: Mapping[str, Method]
    ) -> None:
        self.workspace = workspace
        self.faults = faults
        self.methods = dict(methods)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one ``/api/{method}`` call and log it in ``workspace.calls``.

        A misbehaving fault (drop, hang, HTML ...) answers after the method ran (the post
        is recorded) or instead of it (``record=False``); ``workspace.latency`` delays every
        answer after the method ran, which widens the moment when a post is in the channel
        but its answer has not reached the app."""
        workspace = self.workspace
        method = request.match_info["method"]
        args = await read_args(request)
        token = bearer(request.headers.get("Authorization")) or args.get("token")
        args.pop("token", None)
        headers = {"X-Slack-Req-Id": uuid.uuid4().hex}
        fault: Fault | None = None
        try:
            fault = self.faults.take(method, args.get("channel"))
            if fault is not None and not fault.runs_method:
                workspace.calls.append(ApiCall(method, args, 0, False, f"({fault.mode})"))
                return await misbehave(request, fault, {"ok": False, "error": "fatal_error"})
            handler = self.methods.get(method)
            if handler is None:
                raise ApiError("unknown_method", 404, extra={"req_method": method})
            if method != "api.test":
                self._authenticate(method, token)
            body = {"ok": True, **await handler(args)}
            status = 200
            if token == workspace.bot_token:
                headers["X-OAuth-Scopes"] = ",".join(workspace.scopes or DEFAULT_SCOPES)
        except ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
            status = exc.status
            headers.update(exc.headers)
        if workspace.latency > 0:
            await asyncio.sleep(workspace.latency)
        if fault is not None:
            workspace.calls.append(ApiCall(method, args, 0, False, f"({fault.mode})"))
            return await misbehave(request, fault, body)
        error = body.get("error")
        workspace.calls.append(ApiCall(method, args, status, bool(body.get("ok")), error))
        return web.json_response(body, status=status, headers=headers)

    def _authenticate(self, method: str, token: object) -> None:
        if not token:
            raise ApiError("not_authed")
        if not self.workspace.knows(token):
            # A wrong token and a revoked one alike: this is what Slack answers
            # apps.connections.open with for a revoked app-level token.
            raise ApiError("invalid_auth")
        wants_app_token = method in _APP_TOKEN_METHODS
        if (token == self.workspace.app_token) != wants_app_token:
            raise ApiError("not_allowed_token_type")
        if method in METHOD_SCOPES:
            self.workspace.require_scope(METHOD_SCOPES[method])


async def read_args(request: web.Request) -> dict[str, Any]:
    """Method arguments from the query string and a form or JSON body, as Slack accepts."""
    args: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            args.update(body)
    else:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if there is one."""
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None
