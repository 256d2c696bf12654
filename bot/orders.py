"""Use cases: look an order up, and delete one safely. No Slack types here.

The Slack listeners and the command line are thin adapters over ``OrderService``. Deleting
is two steps: ``request_delete`` checks the requester's permission, looks the order up and,
when it can be deleted, stores a single-use confirmation bound to the requester that expires
after ten minutes; ``confirm_delete`` claims that confirmation atomically (so a double press
sends one DELETE) and calls Ingram with the entry date taken from the lookup. Every attempt,
allowed or refused, is written to the audit table.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock, iso, utc_now
from bot.ingram.client import IngramClient
from bot.ingram.errors import IngramError, InvalidArgumentError
from bot.ingram.models import (
    DeleteOutcome,
    DeleteResult,
    Order,
    deletability,
    parse_order_ref,
)
from bot.store import (
    AsyncStore,
    ClaimResult,
    claim_confirmation,
    create_confirmation,
    get_confirmation,
    write_audit,
)

log = logging.getLogger("orderbot.orders")

CONFIRMATION_TTL = timedelta(minutes=10)


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


@dataclass(frozen=True)
class DeletePrompt:
    """The order may be deleted once the requester confirms with ``confirmation_id``."""

    confirmation_id: str
    order: Order
    expires_at: datetime


@dataclass(frozen=True)
class DeleteRefused:
    """Nothing was deleted, and why, in words for the user."""

    reason: Refusal
    message: str
    order: Order | None = None


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


class OrderService:
    """Look up and delete orders for one Ingram account."""

    def __init__(
        self,
        client: IngramClient,
        store: AsyncStore | None = None,
        *,
        delete_allowed: frozenset[str] = frozenset(),
        clock: Clock = utc_now,
        confirmation_ttl: timedelta = CONFIRMATION_TTL,
    ) -> None:
        self.client = client
        self._store = store
        self.delete_allowed = delete_allowed
        self.clock = clock
        self.confirmation_ttl = confirmation_ttl

    @property
    def store(self) -> AsyncStore:
        """The database; only deletes need it (they are confirmed and audited)."""
        if self._store is None:
            raise RuntimeError("deleting orders needs a database (ORDERBOT_DB)")
        return self._store

    # --- look up ---------------------------------------------------------------------------

    async def lookup(self, text: str) -> LookupResult:
        """An order by its number, or by one of its suborder numbers (highlighted)."""
        ref = parse_order_ref(text)
        if ref is None:
            raise InvalidArgumentError(
                f"{text.strip()!r} is not an Ingram Micro order number such as 20-RD12H"
            )
        order = await self.client.find_order(ref.ordernumber)
        return LookupResult(text.strip(), [order] if order else [], ref.subordernumber)

    async def lookup_po(self, po: str) -> LookupResult:
        """Every order with this customer PO number, all pages."""
        orders = await self.client.find_by_po(po)
        return LookupResult(po.strip(), sorted(orders, key=_entry_key))

    # --- delete ----------------------------------------------------------------------------

    def may_delete(self, requester: Requester) -> bool:
        """True for trusted requesters and for Slack users in ORDERBOT_DELETE_ALLOWED."""
        return requester.trusted or requester.user_id.upper() in self.delete_allowed

    async def request_delete(self, requester: Requester, text: str) -> DeletePrompt | DeleteRefused:
        """Check permission, look the order up, and prepare a confirmation if it can go."""
        ref = parse_order_ref(text)
        number = ref.ordernumber if ref else text.strip()
        if not self.may_delete(requester):
            await self._audit(requester, "delete_request", number, "refused_not_allowed")
            return DeleteRefused(
                Refusal.NOT_ALLOWED,
                "You are not allowed to delete orders. Ask an orderbot admin to add your Slack"
                f" member ID ({requester.user_id}) to ORDERBOT_DELETE_ALLOWED.",
            )
        if ref is None or ref.subordernumber is not None:
            raise InvalidArgumentError(
                f"{text.strip()!r} is not an order number such as 20-11852 (a whole order is"
                " deleted, not one shipment)"
            )
        try:
            order = await self.client.find_order(number)
        except IngramError as exc:
            await self._audit(requester, "delete_request", number, "error", str(exc))
            raise
        if order is None:
            await self._audit(requester, "delete_request", number, "not_found")
            return DeleteRefused(Refusal.NOT_FOUND, f"Order {number} was not found.")
        verdict = deletability(order)
        if not verdict.allowed:
            reason = Refusal.ALREADY_DELETED if verdict.already_deleted else Refusal.NOT_DELETABLE
            await self._audit(requester, "delete_request", number, reason.value, verdict.reason)
            return DeleteRefused(reason, verdict.reason, order)
        if order.entrydate is None:
            await self._audit(requester, "delete_request", number, "error", "no entry date")
            return DeleteRefused(
                Refusal.NOT_DELETABLE,
                f"Ingram did not give the entry date of order {number}, which a delete needs."
                " Try again later.",
                order,
            )
        now = self.clock()
        confirmation = secrets.token_urlsafe(18)
        await self.store.run(
            create_confirmation,
            id=confirmation,
            user_id=requester.user_id,
            ordernumber=number,
            entrydate=order.entrydate.isoformat(),
            channel_id=requester.channel_id,
            created_at=now,
            expires_at=now + self.confirmation_ttl,
        )
        await self._audit(requester, "delete_request", number, "prompted")
        return DeletePrompt(confirmation, order, now + self.confirmation_ttl)

    async def confirm_delete(
        self, requester: Requester, confirmation_id: str
    ) -> DeleteDone | DeleteRefused:
        """Claim the confirmation (once, by its requester, in time) and send the DELETE."""
        now = self.clock()
        claim = await self.store.run(claim_confirmation, confirmation_id, requester.user_id, now)
        row = await self.store.run(get_confirmation, confirmation_id)
        number = row.ordernumber if row is not None else ""
        refusal = _claim_refusal(claim, number)
        if refusal is not None:
            await self._audit(requester, "delete_confirm", number, f"refused_{refusal.reason}")
            return refusal
        assert row is not None
        try:
            result = await self.client.delete_order(number, row.entrydate)
        except IngramError as exc:
            await self._audit(requester, "delete_confirm", number, "error", str(exc))
            raise
        await self._audit(requester, "delete_confirm", number, result.outcome.value, result.message)
        log.info("order %s delete by %s: %s", number, requester.user_id, result.outcome.value)
        return DeleteDone(result, number)

    async def cancel_delete(
        self, requester: Requester, confirmation_id: str
    ) -> Cancelled | DeleteRefused:
        """Use up the confirmation without deleting; a refusal when it was not theirs to use."""
        claim = await self.store.run(
            claim_confirmation, confirmation_id, requester.user_id, self.clock()
        )
        row = await self.store.run(get_confirmation, confirmation_id)
        number = row.ordernumber if row is not None else ""
        refusal = _claim_refusal(claim, number)
        await self._audit(
            requester,
            "delete_cancel",
            number,
            "cancelled" if refusal is None else f"refused_{refusal.reason}",
        )
        return Cancelled(number) if refusal is None else refusal

    async def prompt_page(
        self, requester: Requester, confirmation_id: str
    ) -> DeletePrompt | DeleteRefused:
        """A delete prompt shown again (another page of its shipments), with the order read
        again: while its confirmation is still the requester's to use, or why it is not."""
        row = await self.store.run(get_confirmation, confirmation_id)
        now = self.clock()
        if row is None:
            state = ClaimResult.NOT_FOUND
        elif row.user_id != requester.user_id:
            state = ClaimResult.WRONG_USER
        elif row.used_at is not None:
            state = ClaimResult.ALREADY_USED
        elif row.expires_at <= now:
            state = ClaimResult.EXPIRED
        else:
            order = await self.client.find_order(row.ordernumber)
            if order is None:
                return DeleteRefused(Refusal.NOT_FOUND, f"Order {row.ordernumber} was not found.")
            return DeletePrompt(confirmation_id, order, row.expires_at)
        refusal = _claim_refusal(state, row.ordernumber if row is not None else "")
        assert refusal is not None
        return refusal

    async def confirmation_order(self, confirmation_id: str) -> str:
        """The order number a confirmation is for ("" when there is no such confirmation)."""
        row = await self.store.run(get_confirmation, confirmation_id)
        return row.ordernumber if row is not None else ""

    async def _audit(
        self, requester: Requester, action: str, number: str, outcome: str, message: str = ""
    ) -> None:
        await self.store.run(
            write_audit,
            at=self.clock(),
            user_id=requester.user_id,
            user_name=requester.user_name,
            action=action,
            ordernumber=number,
            outcome=outcome,
            message=message,
        )


def _claim_refusal(claim: ClaimResult, number: str) -> DeleteRefused | None:
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
    return DeleteRefused(
        Refusal.UNKNOWN_CONFIRMATION,
        "This delete button is no longer valid. Run `/order delete <order>` again.",
    )


def _entry_key(order: Order) -> tuple[str, str]:
    return (iso(order.entrytimestamp) if order.entrytimestamp else "", order.ordernumber)
