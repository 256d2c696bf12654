"""Parse OrderLookupAPI and OrderDeleteAPI responses in every shape the specs show.

The specs' samples disagree with their own field tables, so a parser that trusts either
breaks on the other. What is accepted here, each variant shown somewhere in the specs:

* ``serviceresponse`` (field table) or ``servicerresponse`` (lookup sample);
* ``ordesearchresponse`` inside the service response (field table) or beside it (sample);
* the preamble as ``requeststatus``/``returnmessage`` or ``responsestatus``/``responsemessage``,
  and the delete's in the camelCase of the sample in Ingram's OpenAPI document
  (``requestStatus``/``returnCode``/``returnMessage``, ``../shared/specs/ingram-v5-evidence.md``);
* counts as numbers or as strings (``"ordersfound": "3"``), the delete's code too
  (``statuscode`` 200, ``returnCode`` "00");
* ``links`` as an array or as a single object; order entries that carry only links;
* missing optional fields (missing text is ``""``);
* the lookup sample itself, which is not valid JSON (a trailing comma, stray closing braces).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.ingram.codes import (
    DELETE_ALREADY_DELETED,
    DELETE_NOT_FOUND,
    DELETE_PREAMBLES,
    DELETE_TECHNICAL_ERROR,
    LOOKUP_NO_DATA_MESSAGES,
    DeletePreamble,
)
from bot.ingram.errors import ResponseFormatError
from bot.ingram.models import (
    DeleteOutcome,
    DeleteResult,
    Link,
    Order,
    SearchPage,
    Suborder,
    parse_timestamp,
)
from bot.log import redact

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
#: Ingram's preamble message is cut to this many characters (and any secret in it masked).
MAX_MESSAGE = 500


def loads_lenient(text: str | bytes) -> Any:
    """Decode JSON, tolerating trailing commas and stray text after the first value."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    cleaned = _strip_trailing_commas(text).lstrip()
    try:
        value, _end = json.JSONDecoder().raw_decode(cleaned)
    except json.JSONDecodeError as exc:
        raise ResponseFormatError(f"the response is not JSON ({exc.msg})") from None
    return value


def _strip_trailing_commas(text: str) -> str:
    """Remove commas that directly precede ``}`` or ``]``, leaving string contents alone."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r'"(?:\\.|[^"\\])*"', text):
        out.append(_TRAILING_COMMA.sub(r"\1", text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_TRAILING_COMMA.sub(r"\1", text[pos:]))
    return "".join(out)


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[Any]:
    """An array as a list, a single object as a one-element list, nothing as empty."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _get(obj: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` present in ``obj``, compared case-insensitively."""
    for name in names:
        if name in obj:
            return obj[name]
    lowered = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _service(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return _as_mapping(_get(data, "serviceresponse", "servicerresponse"))


def preamble(data: Mapping[str, Any]) -> tuple[str, str, str]:
    """(status, message, statuscode) from wherever the preamble sits."""
    pre = _as_mapping(_get(_service(data), "responsepreamble"))
    if not pre:
        pre = _as_mapping(_get(data, "responsepreamble"))
    status = _text(_get(pre, "requeststatus", "responsestatus")).upper()
    message = redact(_text(_get(pre, "returnmessage", "responsemessage")), MAX_MESSAGE)
    code = _text(_get(pre, "statuscode", "returncode"))
    return status, message, code


def parse_links(value: Any) -> tuple[Link, ...]:
    """``links`` as an array of objects or as one object."""
    links = []
    for item in _as_list(value):
        item = _as_mapping(item)
        href = _text(_get(item, "href"))
        if href:
            links.append(Link(_text(_get(item, "topic")), href, _text(_get(item, "type")) or "GET"))
    return tuple(links)


def _ordernumber_from_links(links: Iterable[Link]) -> str:
    for link in links:
        path = urlsplit(link.href).path.rstrip("/")
        if "/orders/" in path:
            last = unquote(path.rsplit("/", 1)[-1])
            if last and last.lower() != "search":
                return last.upper()
    return ""


def parse_suborder(obj: Mapping[str, Any]) -> Suborder:
    """One entry of ``suborders``."""
    return Suborder(
        subordernumber=_text(_get(obj, "subordernumber")).upper(),
        statuscode=_text(_get(obj, "statuscode")).upper(),
        status=_text(_get(obj, "status")),
        holdreasoncode=_text(_get(obj, "holdreasoncode")).upper(),
        holdreason=_text(_get(obj, "holdreason")),
        links=parse_links(_get(obj, "links")),
    )


def parse_order(obj: Mapping[str, Any]) -> Order | None:
    """One entry of ``orders``; None for an entry with neither an order number nor a link."""
    links = parse_links(_get(obj, "links"))
    number = _text(_get(obj, "ordernumber")).upper()
    subs_raw = _get(obj, "suborders")
    has_details = bool(number) or subs_raw is not None
    if not number:
        number = _ordernumber_from_links(links)
    if not number:
        return None
    suborders = tuple(parse_suborder(s) for s in _as_list(subs_raw) if isinstance(s, Mapping))
    return Order(
        ordernumber=number,
        entrytimestamp=parse_timestamp(_text(_get(obj, "entrytimestamp"))),
        customerordernumber=_text(_get(obj, "customerordernumber")),
        suborders=suborders,
        links=links,
        details=has_details,
    )


def is_no_data(status: str, message: str) -> bool:
    """True for both of the spec's "no data found" preambles (SUCCESS and FAILED forms)."""
    return message.strip().rstrip(". ").lower() in LOOKUP_NO_DATA_MESSAGES


def parse_search_response(data: Any) -> SearchPage:
    """An OrderLookupAPI search response (already decoded, or raw text) as a ``SearchPage``.

    "No data found", in either of its forms, is an empty page. A FAILED preamble with any
    other message, or a SUCCESS without a results container, raises ``ResponseFormatError``.
    """
    if isinstance(data, (str, bytes)):
        data = loads_lenient(data)
    if not isinstance(data, Mapping):
        raise ResponseFormatError("the search response is not a JSON object")
    status, message, _code = preamble(data)
    container = _get(_service(data), "ordesearchresponse", "ordersearchresponse")
    if container is None:
        container = _get(data, "ordesearchresponse", "ordersearchresponse")
    result = _as_mapping(container)
    if is_no_data(status, message):
        return SearchPage(
            (),
            0,
            _int(_get(result, "pagesize")),
            _int(_get(result, "pagenumber"), 1),
            status or "SUCCESS",
            message,
        )
    if status == "FAILED":
        raise ResponseFormatError(f"Ingram answered FAILED: {message or 'no message'}")
    if not result and not status:
        raise ResponseFormatError("the response has neither a preamble nor search results")
    if not isinstance(container, Mapping):
        # Only the documented "No data found" forms mean an empty result; a SUCCESS with no
        # results container at all is not "no orders", it is an answer that lost its body.
        raise ResponseFormatError("the search answer has no results (no ordesearchresponse)")
    orders = tuple(
        o
        for o in (
            parse_order(e) for e in _as_list(_get(result, "orders")) if isinstance(e, Mapping)
        )
        if o is not None
    )
    return SearchPage(
        orders=orders,
        ordersfound=_int(_get(result, "ordersfound")),
        pagesize=_int(_get(result, "pagesize"), len(orders)),
        pagenumber=_int(_get(result, "pagenumber"), 1),
        requeststatus=status or "SUCCESS",
        returnmessage=message,
    )


def _match_preamble(message: str) -> DeletePreamble | None:
    """The row of the spec's preamble table with this message (the codes vary by layout:
    200 or "00" for success, so the message decides)."""
    norm = " ".join(message.split()).lower()
    for row in DELETE_PREAMBLES:
        table = " ".join(row.responsemessage.split()).lower()
        if norm == table or norm.startswith(table.rstrip("x ")):
            return row
    return None


def parse_delete_response(ordernumber: str, data: Any) -> DeleteResult:
    """An OrderDeleteAPI response as a typed ``DeleteResult``.

    SUCCESS is deleted; FAILED with code 1 (``statuscode`` or ``returnCode``, a number or a
    string) or the "does not exists" message is not found; "already deleted" is already deleted;
    every other FAILED (technical error, ABEND, backend 503, anything new) is failed with the
    API's own message and the spec's remedial action.
    """
    if isinstance(data, (str, bytes)):
        data = loads_lenient(data)
    if not isinstance(data, Mapping):
        raise ResponseFormatError("the delete response is not a JSON object")
    status, message, code = preamble(data)
    if not status:
        raise ResponseFormatError("the delete response has no response preamble")
    row = _match_preamble(message)
    remedy = row.remedy if row else DELETE_TECHNICAL_ERROR.remedy
    if status == "SUCCESS":
        outcome = DeleteOutcome.DELETED
        remedy = "None"
    elif code.lstrip("0") == "1" or row is DELETE_NOT_FOUND:
        outcome = DeleteOutcome.NOT_FOUND
        remedy = DELETE_NOT_FOUND.remedy
    elif "already deleted" in message.lower() or row is DELETE_ALREADY_DELETED:
        outcome = DeleteOutcome.ALREADY_DELETED
        remedy = DELETE_ALREADY_DELETED.remedy
    else:
        outcome = DeleteOutcome.FAILED
    return DeleteResult(ordernumber, outcome, message, code, remedy)
