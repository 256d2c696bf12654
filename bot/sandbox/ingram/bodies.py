"""What the Ingram sandbox answers, as JSON: search and delete bodies, and Apigee faults.

Two layouts (``style``), as Ingram's published samples and the specs' field tables show them:

* search: "sample" is the lookup spec's sample (``servicerresponse``, counts as strings,
  ``links`` an object), "table" its field table (``serviceresponse``, counts as numbers,
  ``links`` a list);
* delete: "sample" is the sample of Ingram's OpenAPI document for v5, whose preamble is in
  camelCase with the code as a string (``requestStatus``, ``returnCode`` "00",
  ``returnMessage``); "table" is the delete spec's field table and sample (``responsestatus``,
  ``statuscode`` the number 200 or a string, ``responsemessage``). See
  ``../shared/specs/ingram-v5-evidence.md``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web

from bot.ingram.codes import DeletePreamble
from bot.sandbox.ingram.orders import SearchResult
from bot.sandbox.ingram.params import SearchRequest
from bot.sandbox.ingram.seed import SeedOrder, SeedSuborder, suborder_to_json

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_JSON = "application/json"


def iso(when: datetime) -> str:
    """A time as the sandbox writes it: UTC, to the second, with a ``Z``."""
    return when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def _links(path: str, customer: str, country: str, topic: str = "orders") -> dict[str, str]:
    return {
        "topic": topic,
        "href": f"/resellers/v5/{path}?customerNumber={customer}&isoCountryCode={country}",
        "type": "GET",
    }


def _suborder_json(s: SeedSuborder, customer: str, country: str) -> dict[str, Any]:
    links = [_links(f"orders/{s.subordernumber}", customer, country)]
    if s.statuscode in ("F", "I"):
        links.append(_links(f"invoices/{s.subordernumber}", customer, country, "invoices"))
    return {**suborder_to_json(s), "links": links}


def _order_json(
    order: SeedOrder, subs: list[SeedSuborder], style: str, *, full: bool
) -> dict[str, Any]:
    link = _links(f"orders/{order.ordernumber}", order.customernumber, order.country)
    links: Any = link if style == "sample" else [link]
    if not full:
        return {"links": links}
    return {
        "ordernumber": order.ordernumber,
        "entrytimestamp": order.entrytimestamp.strftime(TIMESTAMP_FORMAT),
        "customerordernumber": order.customerordernumber,
        "suborders": [_suborder_json(s, order.customernumber, order.country) for s in subs],
        "links": links,
    }


def search_body(req: SearchRequest, result: SearchResult, style: str) -> dict[str, Any]:
    """A search answer in one of the spec's two layouts, "no data" forms included."""
    by_number = req.ordernumber is not None
    if not result.page:
        if by_number:
            status, message = "FAILED", "No data found"
        else:
            status, message = "SUCCESS", "No Data Found for given Search Criteria."
    else:
        status = "SUCCESS"
        message = "Data found" if style == "sample" else f"{result.ordersfound} Records Found."
    preamble = {"requeststatus": status, "returnmessage": message}
    found = result.ordersfound if result.page else 0
    counts: dict[str, Any] = {
        "ordersfound": found,
        "pagesize": req.pagesize,
        "pagenumber": req.pagenumber,
    }
    if style == "sample":
        counts = {k: str(v) for k, v in counts.items()}
    orders = [
        _order_json(o, subs, style, full=by_number or not o.link_only_in_search)
        for o, subs in result.page
    ]
    search = {**counts, "orders": orders}
    if style == "sample":
        body: dict[str, Any] = {"servicerresponse": {"responsepreamble": preamble}}
        if status == "SUCCESS":
            body["ordesearchresponse"] = search
        return body
    service: dict[str, Any] = {"responsepreamble": preamble}
    if status == "SUCCESS":
        service["ordesearchresponse"] = search
    return {"serviceresponse": service}


def without_results(body: dict[str, Any]) -> dict[str, Any]:
    """A search answer that lost its results: a SUCCESS preamble and nothing else."""
    preamble = {"requeststatus": "SUCCESS", "returnmessage": "Data found"}
    return {"serviceresponse": {"responsepreamble": preamble}}


def delete_body(preamble: DeletePreamble, message: str, style: str = "table") -> dict[str, Any]:
    """A delete answer in one of the two layouts (see the module docstring)."""
    success = preamble.responsestatus == "SUCCESS"
    if style == "sample":
        pre: dict[str, Any] = {
            "requestStatus": preamble.responsestatus,
            "returnCode": "00" if success else preamble.statuscode,
            "returnMessage": message,
        }
    else:
        pre = {
            "responsestatus": preamble.responsestatus,
            "statuscode": 200 if success else preamble.statuscode,
            "responsemessage": message,
        }
    return {"serviceresponse": {"responsepreamble": pre}}


def bad_request_body(kind: str, message: str) -> dict[str, Any]:
    """A 400 answer of the search or the delete (``kind``), saying what is wrong."""
    if kind == "delete":
        pre = {"responsestatus": "FAILED", "statuscode": "400", "responsemessage": message}
    else:
        pre = {"requeststatus": "FAILED", "statuscode": "400", "returnmessage": message}
    return {"serviceresponse": {"responsepreamble": pre}}


def fault_body(faultstring: str, errorcode: str) -> dict[str, Any]:
    """An Apigee gateway fault."""
    return {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}


INVALID_TOKEN_BODY = fault_body(
    "Invalid Access Token", "keymanagement.service.invalid_access_token"
)
EXPIRED_TOKEN_BODY = fault_body(
    "Access Token expired", "keymanagement.service.access_token_expired"
)
NOT_APPROVED_BODY = fault_body(
    "Invalid API call as no apiproduct match found",
    "keymanagement.service.InvalidAPICallAsNoApiProductMatchFound",
)
RATE_LIMITED_BODY = fault_body(
    "Rate limit quota violation. Quota limit exceeded. Identifier : _default",
    "policies.ratelimit.QuotaViolation",
)

_STATUS_ERRORCODES = {
    500: "messaging.runtime.InternalServerError",
    502: "messaging.adaptors.http.flow.BadGateway",
    503: "messaging.adaptors.http.flow.ServiceUnavailable",
    504: "messaging.adaptors.http.flow.GatewayTimeout",
}


def status_fault_body(status: int) -> dict[str, Any]:
    """The gateway fault that comes with an injected HTTP ``status``."""
    if status == 429:
        return RATE_LIMITED_BODY
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"HTTP {status}"
    errorcode = _STATUS_ERRORCODES.get(status, f"messaging.adaptors.http.flow.Status{status}")
    return fault_body(phrase, errorcode)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``body`` as compact JSON, the way Ingram's gateway sends it."""
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type=_JSON,
        headers=headers,
    )
