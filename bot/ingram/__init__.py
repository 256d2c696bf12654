"""An async client for Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5, usable alone::

    from bot.ingram import IngramClient, IngramSettings

    settings = IngramSettings("APP-ID", "SHARED-SECRET", customer_number="20-123456", country="UK")
    async with IngramClient(settings) as client:
        order = await client.find_order("20-RD12H")
        result = await client.delete_order("20-11852", "2026-11-20")

``on_call`` (an option of the client) is called with a ``CallRecord`` after every request
it sends, so an application can count them (orderbot's metrics do) without this package
knowing of it.

The names below are the public API. Behind them: ``client`` (``IngramClient``) over
``session`` (one call: token, rate budget, retries), ``search`` (pages) and ``delete`` (the
DELETE that is never repeated blindly); ``models``, ``parsing`` and ``codes`` (Ingram's data,
read tolerantly); ``auth``, ``ratelimit``, ``windows``, ``errors``. The package imports nothing
of the bot but its lowest layer (``bot.clock``, ``bot.headers``, ``bot.log``).
"""

from bot.ingram.client import IngramClient
from bot.ingram.errors import (
    AccessNotApprovedError,
    BadRequestError,
    CredentialsError,
    EndpointNotFoundError,
    ForbiddenError,
    IncompleteResultError,
    IngramError,
    InvalidArgumentError,
    OutcomeUnknownError,
    OutsideWindowError,
    ResponseFormatError,
    UnauthorizedError,
    UnavailableError,
)
from bot.ingram.models import (
    DeleteOutcome,
    DeleteResult,
    Order,
    SearchPage,
    SearchQuery,
    Suborder,
    parse_order_ref,
)
from bot.ingram.ratelimit import Priority, RateLimiter
from bot.ingram.session import CallObserver, CallRecord, ClientStats, RetryPolicy
from bot.ingram.settings import DEFAULT_BASE_URL, IngramSettings
from bot.ingram.windows import COUNTRIES, is_available, next_opening, normalize_country

__all__ = [
    "COUNTRIES",
    "DEFAULT_BASE_URL",
    "AccessNotApprovedError",
    "BadRequestError",
    "CallObserver",
    "CallRecord",
    "ClientStats",
    "CredentialsError",
    "DeleteOutcome",
    "DeleteResult",
    "EndpointNotFoundError",
    "ForbiddenError",
    "IncompleteResultError",
    "IngramClient",
    "IngramError",
    "IngramSettings",
    "InvalidArgumentError",
    "Order",
    "OutcomeUnknownError",
    "OutsideWindowError",
    "Priority",
    "RateLimiter",
    "ResponseFormatError",
    "RetryPolicy",
    "SearchPage",
    "SearchQuery",
    "Suborder",
    "UnauthorizedError",
    "UnavailableError",
    "is_available",
    "next_opening",
    "normalize_country",
    "parse_order_ref",
]
