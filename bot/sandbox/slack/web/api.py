"""Answering a Web API call as Slack does: the envelope, tokens, scopes, faults, the log."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.sandbox.slack.errors import ApiError
from bot.sandbox.slack.faults import FaultPlan
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

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one ``/api/{method}`` call and log it in ``workspace.calls``."""
        workspace = self.workspace
        method = request.match_info["method"]
        args = await read_args(request)
        token = bearer(request.headers.get("Authorization")) or args.get("token")
        args.pop("token", None)
        headers = {"X-Slack-Req-Id": uuid.uuid4().hex}
        try:
            self.faults.check(method)
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
        scopes = self.workspace.scopes
        if scopes is not None and method in METHOD_SCOPES:
            needed = METHOD_SCOPES[method]
            if not set(needed) & set(scopes):
                raise ApiError(
                    "missing_scope",
                    extra={"needed": ",".join(needed), "provided": ",".join(scopes)},
                )


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
