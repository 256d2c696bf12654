"""The Ingram sandbox's control API: a JSON API under ``/_sandbox/`` (no auth).

For demos and for tests in other processes: read the state, add and clear faults, set the
latency, the API product's approval and the answer layout, expire the tokens, change a
suborder, add an order and read one back.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.sandbox.ingram.bodies import json_response
from bot.sandbox.ingram.faults import Fault
from bot.sandbox.ingram.seed import order_from_json, order_to_json, suborder_to_json
from bot.sandbox.ingram.state import STYLES, SandboxState

CONTROL_PREFIX = "/_sandbox"


async def control(state: SandboxState, request: web.Request) -> web.Response:
    """The JSON control API (no auth): state, faults, latency, approval, orders."""
    method = request.method.upper()
    parts = [p for p in request.path[len(CONTROL_PREFIX) :].split("/") if p]
    try:
        data: Any = None
        if method in ("POST", "PUT") and request.can_read_body:
            try:
                data = json.loads(await request.text() or "null")
            except json.JSONDecodeError as exc:
                raise ValueError(f"the body is not JSON: {exc.msg}") from None
        if parts == ["state"] and method == "GET":
            return json_response(state.as_json())
        if parts == ["faults"] and method == "POST":
            fault = Fault.from_json(data)
            state.faults.add(fault)
            return json_response({"ok": True, "fault": fault.to_json()})
        if parts == ["faults"] and method == "DELETE":
            state.faults.clear()
            return json_response({"ok": True})
        if parts == ["latency"] and method == "POST":
            seconds = float(_field(data, "seconds"))
            if seconds < 0:
                raise ValueError("seconds must be 0 or more")
            state.latency = seconds
            return json_response({"ok": True, "latency": seconds})
        if parts == ["approved"] and method == "POST":
            approved = _field(data, "approved")
            if not isinstance(approved, bool):
                raise ValueError("approved must be true or false")
            state.api_product_approved = approved
            return json_response({"ok": True, "approved": approved})
        if parts == ["style"] and method == "POST":
            style = _field(data, "style")
            if style not in STYLES:
                raise ValueError(f"style must be one of {list(STYLES)}")
            state.response_style = style
            return json_response({"ok": True, "style": style})
        if parts == ["tokens", "expire"] and method == "POST":
            state.expire_tokens()
            return json_response({"ok": True})
        if len(parts) == 2 and parts[0] == "suborders" and method == "POST":
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            allowed = {"statuscode", "holdreasoncode", "status", "holdreason"}
            unknown = sorted(set(data) - allowed)
            if unknown:
                raise ValueError(f"unknown field(s) {unknown}; known: {sorted(allowed)}")
            try:
                state.set_suborder(parts[1], **{k: str(v) for k, v in data.items()})
            except KeyError as exc:
                return json_response({"error": exc.args[0]}, 404)
            current = state.suborder(parts[1])
            return json_response(
                {"ok": True, "suborder": suborder_to_json(current) if current is not None else None}
            )
        if parts == ["orders"] and method == "POST":
            order = order_from_json(data, state.clock())
            state.add_order(order)
            return json_response({"ok": True, "order": order_to_json(order)})
        if len(parts) == 2 and parts[0] == "orders" and method == "GET":
            found = state.order(parts[1])
            if found is None:
                return json_response({"error": f"no order {parts[1]!r} in the sandbox"}, 404)
            return json_response(order_to_json(found))
    except ValueError as exc:
        return json_response({"error": str(exc)}, 400)
    return json_response({"error": f"no control endpoint {method} {request.path}"}, 404)


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise ValueError(f"the body must be a JSON object with {name!r}")
    return data[name]
