"""What the use cases answer: who asks, what was found, and why a delete did not happen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.ingram.models import DeleteOutcome, DeleteResult, Order
from bot.store import ClaimResult, Confirmation


@dataclass(frozen=True)
class Requester:
    """Who asks. ``trusted`` requesters (the command line, which holds the Ingram
    credentials itself) skip the Slack allow-list; everyone is audited."""

    user_id: str
    user_name: str = ""
    channel_id: str = ""
    trusted: bool = False


@dataclass(frozen=True)
class LookupResult:
    """Orders found for what the user asked; ``highlight`` is a suborder they named."""

    query: str
    orders: list[Order]
    highlight: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.orders)


class Refusal(StrEnum):
    """Why a delete request or press did not lead to a DELETE."""

    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    ALREADY_DELETED = "already_deleted"
    NOT_DELETABLE = "not_deletable"
    WRONG_USER = "wrong_user"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    UNKNOWN_CONFIRMATION = "unknown_confirmation"
    SUPERSEDED = "superseded"
    LOOKUP_FAILED = "lookup_failed"


@dataclass(frozen=True)
class DeletePrompt:
    """The order may be deleted once the requester confirms with ``confirmation_id``."""

    confirmation_id: str
    order: Order
    expires_at: datetime


@dataclass(frozen=True)
class DeleteRefused:
    """Nothing was deleted, and why, in words for the user (``message``).

    ``order`` is the order as it was read, when it was; ``by`` and ``at`` name who did what
    stands in the way of ``ordernumber``, and when: who deleted it through orderbot
    (ALREADY_DELETED), or who made the newer prompt (SUPERSEDED).
    """

    reason: Refusal
    message: str
    order: Order | None = None
    by: str | None = None
    at: datetime | None = None
    ordernumber: str = ""


@dataclass(frozen=True)
class Cancelled:
    """The requester cancelled; the confirmation for ``order_number`` is used up."""

    order_number: str


@dataclass(frozen=True)
class DeleteDone:
    """A DELETE was sent; ``result`` is Ingram's typed answer."""

    result: DeleteResult
    order_number: str = field(default="")

    @property
    def outcome(self) -> DeleteOutcome:
        return self.result.outcome


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC")


def claim_refusal(
    claim: ClaimResult, number: str, newer: Confirmation | None = None
) -> DeleteRefused | None:
    """Why a confirmation could not be used (None when it was claimed); ``newer`` is the
    prompt that superseded it."""
    if claim is ClaimResult.CLAIMED:
        return None
    if claim is ClaimResult.WRONG_USER:
        return DeleteRefused(
            Refusal.WRONG_USER,
            f"Only the person who asked to delete order {number} can confirm it."
            f" Run `/order delete {number}` yourself if you need to.",
        )
    if claim is ClaimResult.ALREADY_USED:
        return DeleteRefused(
            Refusal.ALREADY_USED,
            f"This confirmation for order {number} has already been used; nothing more was"
            " sent to Ingram.",
        )
    if claim is ClaimResult.EXPIRED:
        return DeleteRefused(
            Refusal.EXPIRED,
            f"This confirmation for order {number} expired (they last 10 minutes)."
            f" Run `/order delete {number}` again.",
        )
    if claim is ClaimResult.SUPERSEDED:
        who = f" by {newer.user_id} at {_hhmm(newer.created_at)}" if newer else ""
        return DeleteRefused(
            Refusal.SUPERSEDED,
            f"A newer delete prompt for order {number} was made{who}; only that one can"
            " delete it, and this one no longer does anything.",
            by=newer.user_id if newer else None,
            at=newer.created_at if newer else None,
            ordernumber=number,
        )
    return DeleteRefused(
        Refusal.UNKNOWN_CONFIRMATION,
        "This delete button is no longer valid. Run `/order delete <order>` again.",
    )


def deleted_through_orderbot(number: str, by: str, at: datetime) -> DeleteRefused:
    """The order was deleted by someone, through orderbot: said without asking Ingram."""
    return DeleteRefused(
        Refusal.ALREADY_DELETED,
        f"Order {number} was already deleted by {by} at {_hhmm(at)}, through orderbot;"
        " nothing was sent to Ingram.",
        by=by,
        at=at,
        ordernumber=number,
    )
