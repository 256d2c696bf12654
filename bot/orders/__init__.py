"""Use cases: look an order up, and delete one safely. No Slack types here.

The Slack listeners and the command line are thin adapters over ``OrderService``
(``service``): lookups there, the delete flow, authorised at the press, in ``deletes``, and
what they answer in ``results``.
"""

from bot.orders.deletes import CONFIRMATION_TTL
from bot.orders.results import (
    Cancelled,
    DeleteDone,
    DeletePrompt,
    DeleteRefused,
    LookupResult,
    Refusal,
    Requester,
)
from bot.orders.service import OrderService

__all__ = [
    "CONFIRMATION_TTL",
    "Cancelled",
    "DeleteDone",
    "DeletePrompt",
    "DeleteRefused",
    "LookupResult",
    "OrderService",
    "Refusal",
    "Requester",
]
