"""``DELETE /orders/{ordernumber}`` (OrderDeleteAPI v5), safe to retry.

A DELETE whose answer never arrived has an unknown outcome: it is not repeated blindly; the
order is looked up first, and only an order that is still there is deleted again. A retry
after a 5xx that answers "already deleted" counts as deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from urllib.parse import quote

from bot.ingram.errors import (
    IngramError,
    InvalidArgumentError,
    OutcomeUnknownError,
    UnavailableError,
)
from bot.ingram.models import (
    DeleteOutcome,
    DeleteResult,
    Order,
    is_deleted,
    parse_entry_date,
    parse_order_ref,
)
from bot.ingram.parsing import parse_delete_response
from bot.ingram.ratelimit import Priority
from bot.ingram.session import API_DELETE, ApiSession, MaybeSent

log = logging.getLogger("orderbot.ingram")

#: Looks an order up by its number (``IngramClient.find_order``).
FindOrder = Callable[[str], Awaitable[Order | None]]

#: The delete spec lists ``Content-Type: application/json`` among the request's headers.
DELETE_HEADERS = {"Content-Type": "application/json"}


def delete_params(session: ApiSession, day: date) -> dict[str, str]:
    """The DELETE's query string, with the names as Ingram matches them (exactly): its
    sample request, its OpenAPI document and its SDK all write ``customerNumber``,
    ``isoCountryCode`` and ``entryDate`` (``../shared/specs/ingram-v5-evidence.md``), where
    the spec's parameter table writes them in lower case."""
    return {
        "customerNumber": session.settings.customer_number,
        "isoCountryCode": session.settings.country,
        "entryDate": day.isoformat(),
    }


async def safe_delete(
    session: ApiSession, find_order: FindOrder, ordernumber: str, entrydate: str | date
) -> DeleteResult:
    """Delete the order, with all four mandatory parameters; see the module docstring.

    The order number and the entry date (``YYYY-MM-DD``) are validated before anything is
    sent; ``find_order`` looks the order up when a DELETE's answer was lost.
    """
    ref = parse_order_ref(ordernumber)
    if ref is None or ref.subordernumber is not None:
        raise InvalidArgumentError(
            f"{ordernumber!r} is not an Ingram Micro order number such as 20-11852"
        )
    try:
        day = parse_entry_date(entrydate)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from None
    number = ref.ordernumber
    params = delete_params(session, day)
    url = f"{session.settings.api_root}/orders/{quote(number, safe='')}"
    retried = still_there = False
    for _ in range(session.retry.attempts):
        try:
            retries_before = session.stats.retries
            response = await session.call(
                "DELETE",
                url,
                params,
                api=API_DELETE,
                priority=Priority.INTERACTIVE,
                resend_if_unsure=False,
                headers=DELETE_HEADERS,
            )
            retried = retried or session.stats.retries > retries_before
        except MaybeSent as lost:
            log.warning("ingram DELETE %s: %s; looking the order up first", number, lost.detail)
            retried = True
            try:
                order = await find_order(number)
            except IngramError:
                raise OutcomeUnknownError(number) from None
            if order is None:
                return DeleteResult(
                    number,
                    DeleteOutcome.NOT_FOUND,
                    "The order was not found after the delete timed out.",
                    retried=True,
                )
            if is_deleted(order):
                return DeleteResult(
                    number,
                    DeleteOutcome.DELETED,
                    "Deleted (confirmed by a lookup).",
                    retried=True,
                )
            still_there = True
            continue
        result = parse_delete_response(number, response.content)
        if retried and result.outcome is DeleteOutcome.ALREADY_DELETED:
            return DeleteResult(
                number,
                DeleteOutcome.DELETED,
                result.message,
                result.statuscode,
                "None",
                retried=True,
            )
        if retried:
            return DeleteResult(
                number,
                result.outcome,
                result.message,
                result.statuscode,
                result.remedy,
                retried=True,
            )
        return result
    if still_there:
        raise UnavailableError(None, session.retry.attempts, "timed out; the order is still there")
    raise OutcomeUnknownError(number)
