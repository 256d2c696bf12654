"""Reading the Ingram sandbox's requests: query parameters, as the API checks them.

Parameter names are matched exactly, as Ingram's gateway matches them, and a name the API
does not know is ignored, as a real server ignores it: so a misspelt ``customernumber`` is no
customer number at all, and the request gets the 400 a missing one gets. The names are the
ones Ingram publishes in its sample requests, its OpenAPI document for v5 and the SDK
generated from it (``../shared/specs/ingram-v5-evidence.md``), where the specs' parameter
tables write them all in lower case:

* search: ``customerNumber``, ``isocountrycode``, ``ordernumber``, ``customerordernumber``,
  ``orderstatus``, ``startcreatetimestamp``, ``endcreatetimestamp``, ``pagesize``,
  ``pagenumber``;
* delete: ``customerNumber``, ``isoCountryCode``, ``entryDate`` (and the order number in the
  path).

A request the API would refuse raises ``BadRequest`` with a message saying what is wrong,
which the routes answer with a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from aiohttp import web

from bot.ingram.codes import ORDER_STATUSES

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25

_ENTRY_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadRequest(ValueError):
    """A request the API would answer with 400; the message says what is wrong."""


@dataclass
class SearchRequest:
    """A validated search: the customer, the filters and the page wanted."""

    customernumber: str
    country: str
    ordernumber: str | None = None
    customerordernumber: str | None = None
    orderstatus: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    pagesize: int = DEFAULT_PAGE_SIZE
    pagenumber: int = 1


SEARCH_PARAMETERS = (
    "customerNumber",
    "isocountrycode",
    "ordernumber",
    "customerordernumber",
    "orderstatus",
    "startcreatetimestamp",
    "endcreatetimestamp",
    "pagesize",
    "pagenumber",
)
DELETE_PARAMETERS = ("customerNumber", "isoCountryCode", "entryDate")


def query_params(request: web.Request, known: tuple[str, ...]) -> dict[str, str]:
    """The query parameters named exactly as in ``known`` (the first of duplicates wins);
    every other name is ignored."""
    params: dict[str, str] = {}
    for key, value in request.query.items():
        if key in known:
            params.setdefault(key, value.strip())
    return params


def _required(params: dict[str, str], name: str, what: str) -> str:
    value = params.get(name, "")
    if not value:
        raise BadRequest(f"{what} required ({name})")
    return value


def _positive_int(params: dict[str, str], name: str, default: int, top: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1 or (top is not None and value > top):
        limit = f"1 to {top}" if top is not None else "1 or more"
        raise BadRequest(f"{name} must be {limit}, not {value}")
    return value


def _timestamp(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        raise BadRequest(
            f"{name} {raw!r} is not an ISO 8601 UTC timestamp such as 2020-10-03T15:54:39Z"
        ) from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def parse_search(params: dict[str, str]) -> SearchRequest:
    """Validate the query of a search (``query_params`` with ``SEARCH_PARAMETERS``);
    raises ``BadRequest``."""
    customer = _required(params, "customerNumber", "customer number")
    country = _required(params, "isocountrycode", "country code")
    status = params.get("orderstatus")
    if status is not None:
        status = status.upper()
        if status not in ORDER_STATUSES:
            raise BadRequest(f"orderstatus {status!r} is not an Ingram Micro order status code")
    number = params.get("ordernumber") or None
    po = params.get("customerordernumber") or None
    return SearchRequest(
        customernumber=customer,
        country=country,
        ordernumber=number.upper() if number else None,
        customerordernumber=po,
        orderstatus=status,
        start=_timestamp(params, "startcreatetimestamp"),
        end=_timestamp(params, "endcreatetimestamp"),
        pagesize=_positive_int(params, "pagesize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        pagenumber=_positive_int(params, "pagenumber", 1, None),
    )


def parse_delete(params: dict[str, str]) -> tuple[str, str, date]:
    """(customer, country, entry date) of a delete (``query_params`` with
    ``DELETE_PARAMETERS``); raises ``BadRequest``."""
    customer = _required(params, "customerNumber", "customer number")
    country = _required(params, "isoCountryCode", "country code")
    raw = _required(params, "entryDate", "entry date")
    if not _ENTRY_DATE.fullmatch(raw):
        raise BadRequest(f"entryDate {raw!r} is not in the format YYYY-MM-DD")
    try:
        entry = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"entryDate {raw!r} is not a real date (YYYY-MM-DD)") from None
    return customer, country, entry
