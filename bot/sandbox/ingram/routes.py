"""The Ingram sandbox's HTTP routes: the OAuth token and the order APIs, as Apigee serves them.

* ``POST /oauth/oauth30/token``: OAuth 2.0 client credentials (form or Basic auth).
* ``GET /resellers/v5/orders/search`` and ``DELETE /resellers/v5/orders/{ordernumber}``, and
  the same under ``/sandbox/resellers/v5/``: Apigee-style 401s for missing, unknown or
  expired tokens, the rate budget's headers and 429s, then the search or the delete.
* Anything under ``/_sandbox`` goes to the control API (``control.py``).

Every token and API request goes through the fault plan (``faults.py``) and is recorded in
the state's counters. The routes keep no state of their own: it is all in ``SandboxState``.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Mapping

from aiohttp import web

from bot.sandbox.ingram.bodies import (
    EXPIRED_TOKEN_BODY,
    INVALID_TOKEN_BODY,
    NOT_APPROVED_BODY,
    RATE_LIMITED_BODY,
    bad_request_body,
    delete_body,
    fault_body,
    json_response,
    search_body,
    without_results,
)
from bot.sandbox.ingram.control import CONTROL_PREFIX, control
from bot.sandbox.ingram.counters import RecordedRequest
from bot.sandbox.ingram.faults import Dropped, answer, drop_connection
from bot.sandbox.ingram.orders import SearchResult
from bot.sandbox.ingram.params import (
    DELETE_PARAMETERS,
    SEARCH_PARAMETERS,
    BadRequest,
    parse_delete,
    parse_search,
    query_params,
)
from bot.sandbox.ingram.state import SandboxState

TOKEN_PATH = "/oauth/oauth30/token"  # noqa: S105 - a URL path, not a secret
API_PREFIXES = ("/resellers/v5/", "/sandbox/resellers/v5/")


def _route(method: str, path: str, params: Mapping[str, str]) -> tuple[str, str | None] | None:
    """("search", None) or ("delete", ordernumber) for an API route, else None."""
    for prefix in API_PREFIXES:
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :].strip("/")
        if rest == "orders/search":
            return ("search", None) if method == "GET" else None
        if method == "DELETE":
            if rest == "orders" and params.get("ordernumber"):
                return "delete", params["ordernumber"]
            if rest.startswith("orders/") and "/" not in rest[7:] and rest[7:]:
                return "delete", rest[7:]
        return None
    return None


def _recorded(request: web.Request, status: int) -> RecordedRequest:
    return RecordedRequest(
        request.method.upper(),
        request.path,
        dict(request.query),
        status,
        request.headers.get("Content-Type", ""),
    )


def _json_content_type(request: web.Request) -> None:
    """The delete spec lists ``Content-Type: application/json`` among the DELETE's required
    headers (with ``Accept`` and ``Authorization``); a DELETE without it is refused."""
    sent = request.headers.get("Content-Type")
    if sent is None or request.content_type != "application/json":
        raise BadRequest(f"Content-Type must be application/json, not {sent or 'missing'}")


class SandboxApp:
    """The aiohttp application: one dispatcher for token, API and control requests."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.dispatch)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        state.apply_due_steps()
        path = request.path
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return await control(state, request)
        method = request.method.upper()
        try:
            if path.rstrip("/") == TOKEN_PATH:
                response = await self.token(request, method, path)
            else:
                route = _route(method, path, request.query)
                if route is None:
                    response = json_response(
                        fault_body(
                            f"No resource for {method} {path}",
                            "messaging.adaptors.http.flow.ApplicationNotFound",
                        ),
                        404,
                    )
                else:
                    response = await self.api(request, method, path, *route)
        except Dropped:
            state.counters.requests.append(_recorded(request, 0))
            return drop_connection(request)
        state.counters.requests.append(_recorded(request, response.status))
        return response

    # --- token ----------------------------------------------------------------------------

    async def token(self, request: web.Request, method: str, path: str) -> web.Response:
        state = self.state
        state.counters.token_requests += 1
        if method != "POST":
            return json_response(
                {"error": "invalid_request", "error_description": "use POST for the token"}, 405
            )
        fault = state.faults.take(method, path, api=False)
        # OAuth 2.0's parameter names are case-sensitive (RFC 6749, 3.1): grant_type,
        # client_id and client_secret exactly; any other spelling is an unknown name.
        form: dict[str, str] = {}
        if request.can_read_body:
            posted = await request.post()
            form = {k: str(v).strip() for k, v in posted.items()}
        for key, value in request.query.items():
            form.setdefault(key, value.strip())

        async def perform() -> web.Response:
            return self._token_answer(request, form)

        return await answer(fault, perform, None, state)

    def _token_answer(self, request: web.Request, form: dict[str, str]) -> web.Response:
        state = self.state
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        basic = request.headers.get("Authorization", "")
        if not client_id and basic.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(basic[6:].strip()).decode()
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = ""
        grant = form.get("grant_type", "")
        if not grant:
            return json_response(
                {"error": "invalid_request", "error_description": "grant_type is required"}, 400
            )
        if grant != "client_credentials":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
                400,
            )
        id_ok = secrets.compare_digest(client_id.encode(), state.client_id.encode())
        secret_ok = secrets.compare_digest(client_secret.encode(), state.client_secret.encode())
        if not (id_ok and secret_ok):
            description = "ClientId or secret is invalid"
            if state.echo_credentials:  # as some gateways do: the credentials it was sent
                description = f"ClientId {client_id!r} or secret {client_secret!r} is invalid"
            return json_response({"error": "invalid_client", "error_description": description}, 401)
        token = state.issue_token(client_id)
        return json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": str(state.token_ttl)}
        )

    # --- API ------------------------------------------------------------------------------

    async def api(
        self,
        request: web.Request,
        method: str,
        path: str,
        kind: str,
        ordernumber: str | None,
    ) -> web.Response:
        state = self.state
        params = query_params(request, SEARCH_PARAMETERS if kind == "search" else DELETE_PARAMETERS)
        if kind == "search":
            state.counters.search_calls += 1
        else:
            state.counters.delete_calls += 1
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        app, problem = state.check_token(request.headers.get("Authorization"))
        if app is None:
            body = EXPIRED_TOKEN_BODY if problem == "expired" else INVALID_TOKEN_BODY
            return json_response(body, 401, state.rate_headers())
        if not state.api_product_approved:
            return json_response(NOT_APPROVED_BODY, 401, state.rate_headers(app))
        if not state.consume(app):
            state.counters.rate_limited += 1
            return json_response(RATE_LIMITED_BODY, 429, state.rate_headers(app, retry_after=True))
        fault = state.faults.take(method, path, api=True)

        async def perform() -> web.Response:
            try:
                if kind == "search":
                    req = parse_search(params)
                    result = state.search(req)
                    if fault is not None and fault.short is not None:
                        result = SearchResult(result.page[: fault.short], result.ordersfound)
                    body = search_body(req, result, state.next_style())
                    if fault is not None and fault.no_results:
                        body = without_results(body)
                else:
                    _json_content_type(request)
                    customer, country, entry = parse_delete(params)
                    preamble, message = state.delete(ordernumber or "", customer, country, entry)
                    body = delete_body(preamble, message, state.next_style("delete"))
            except BadRequest as exc:
                return json_response(bad_request_body(kind, str(exc)), 400, state.rate_headers(app))
            return json_response(body, 200, state.rate_headers(app))

        return await answer(fault, perform, lambda: state.rate_headers(app), state)
