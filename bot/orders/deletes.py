"""Deleting an order safely, authorised at the moment of the press.

Two steps. ``request_delete`` checks the requester's permission, looks the order up and,
when it can be deleted, stores a single-use confirmation bound to the requester that expires
after ten minutes; it supersedes every older unused confirmation for the order, whoever asked
(one live prompt per order). ``confirm_delete`` is the press, and checks everything again,
since a prompt may be ten minutes old:

1. the confirmation: the presser's own, not used, not superseded, not expired;
2. the allow-list (``ORDERBOT_DELETE_ALLOWED``), as it is now, not as it was at the prompt;
3. whether someone already deleted the order through orderbot: that is answered, with who
   and when, without calling Ingram;
4. the order, read again: one that is no longer deletable (released, billed, invoiced,
   deleted) is refused with its current state;
5. then the claim, atomic (a double press sends one DELETE), and the DELETE, with the entry
   date of the fresh read.

Every attempt, allowed or refused, is written to the audit table.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from bot.clock import Clock
from bot.ingram.client import IngramClient
from bot.ingram.errors import IngramError, InvalidArgumentError
from bot.ingram.models import Order, deletability, parse_order_ref
from bot.orders.results import (
    Cancelled,
    DeleteDone,
    DeletePrompt,
    DeleteRefused,
    Refusal,
    Requester,
    claim_refusal,
    deleted_through_orderbot,
)
from bot.store import (
    AsyncStore,
    ClaimResult,
    Confirmation,
    claim_confirmation,
    confirmation_state,
    create_confirmation,
    get_confirmation,
    last_deletion,
    write_audit,
)

log = logging.getLogger("orderbot.orders")

CONFIRMATION_TTL = timedelta(minutes=10)


class Deletes:
    """The delete use cases of ``OrderService`` (which provides the attributes below)."""

    client: IngramClient
    delete_allowed: frozenset[str]
    clock: Clock
    confirmation_ttl: timedelta

    @property
    def store(self) -> AsyncStore:
        raise NotImplementedError

    def may_delete(self, requester: Requester) -> bool:
        """True for trusted requesters and for Slack users in ORDERBOT_DELETE_ALLOWED."""
        return requester.trusted or requester.user_id.upper() in self.delete_allowed

    def _not_allowed(self, requester: Requester, *, any_more: bool = False) -> DeleteRefused:
        now = (
            "no longer allowed to delete orders; nothing was deleted"
            if any_more
            else ("not allowed to delete orders")
        )
        return DeleteRefused(
            Refusal.NOT_ALLOWED,
            f"You are {now}. Ask an orderbot admin to add your Slack member ID"
            f" ({requester.user_id}) to ORDERBOT_DELETE_ALLOWED.",
        )

    async def request_delete(self, requester: Requester, text: str) -> DeletePrompt | DeleteRefused:
        """Check permission, look the order up, and prepare a confirmation if it can go."""
        ref = parse_order_ref(text)
        number = ref.ordernumber if ref else text.strip()
        if not self.may_delete(requester):
            await self._audit(requester, "delete_request", number, "refused_not_allowed")
            return self._not_allowed(requester)
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
        refusal = _undeletable(number, order)
        if refusal is not None:
            await self._audit(
                requester, "delete_request", number, refusal.reason.value, refusal.message
            )
            return refusal
        assert order is not None and order.entrydate is not None
        now = self.clock()
        confirmation = secrets.token_urlsafe(18)
        superseded = await self.store.run(
            create_confirmation,
            id=confirmation,
            user_id=requester.user_id,
            ordernumber=number,
            entrydate=order.entrydate.isoformat(),
            channel_id=requester.channel_id,
            created_at=now,
            expires_at=now + self.confirmation_ttl,
        )
        note = f"superseded {superseded} older prompt(s)" if superseded else ""
        await self._audit(requester, "delete_request", number, "prompted", note)
        return DeletePrompt(confirmation, order, now + self.confirmation_ttl)

    async def _live(
        self, requester: Requester, confirmation_id: str, action: str
    ) -> Confirmation | DeleteRefused:
        """The confirmation, if the requester may still press it (no claim yet)."""
        row = await self.store.run(get_confirmation, confirmation_id)
        number = row.ordernumber if row is not None else ""
        state = (
            ClaimResult.NOT_FOUND
            if row is None
            else confirmation_state(row, requester.user_id, self.clock())
        )
        if state is not ClaimResult.WRONG_USER and row is not None:
            if not self.may_delete(requester):
                await self._audit(requester, action, number, "refused_not_allowed")
                return self._not_allowed(requester, any_more=True)
            if state is not ClaimResult.ALREADY_USED:
                done = await self.store.run(last_deletion, number)
                if done is not None:
                    await self._audit(requester, action, number, "refused_deleted_by_orderbot")
                    return deleted_through_orderbot(number, done.user_id, done.at)
        if state is ClaimResult.CLAIMED and row is not None:
            return row
        refusal = await self._claim_refusal(state, number, row)
        await self._audit(requester, action, number, f"refused_{refusal.reason}")
        return refusal

    async def _claim_refusal(
        self, state: ClaimResult, number: str, row: Confirmation | None
    ) -> DeleteRefused:
        newer = None
        if state is ClaimResult.SUPERSEDED and row is not None and row.superseded_by:
            newer = await self.store.run(get_confirmation, row.superseded_by)
        refusal = claim_refusal(state, number, newer)
        assert refusal is not None
        return refusal

    async def confirm_delete(
        self, requester: Requester, confirmation_id: str
    ) -> DeleteDone | DeleteRefused:
        """The press: check it all again (see the module docstring), claim, send the DELETE."""
        live = await self._live(requester, confirmation_id, "delete_confirm")
        if isinstance(live, DeleteRefused):
            return live
        number = live.ordernumber
        try:
            order = await self.client.find_order(number)
        except IngramError as exc:
            await self._audit(requester, "delete_confirm", number, "error_rereading", str(exc))
            return DeleteRefused(
                Refusal.LOOKUP_FAILED,
                f"orderbot could not read order {number} again before deleting it: {exc}"
                " Nothing was deleted; press Delete order again in a moment.",
            )
        refusal = _undeletable(number, order, again=True)
        if refusal is not None:
            await self._audit(
                requester, "delete_confirm", number, f"refused_{refusal.reason}", refusal.message
            )
            return refusal
        assert order is not None
        claim = await self.store.run(
            claim_confirmation, confirmation_id, requester.user_id, self.clock()
        )
        if claim is not ClaimResult.CLAIMED:
            refused = await self._claim_refusal(claim, number, live)
            await self._audit(requester, "delete_confirm", number, f"refused_{refused.reason}")
            return refused
        try:
            result = await self.client.delete_order(number, order.entrydate or live.entrydate)
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
        refusal = (
            None if claim is ClaimResult.CLAIMED else await self._claim_refusal(claim, number, row)
        )
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
        again: while its confirmation is still the requester's to press, or why it is not."""
        live = await self._live(requester, confirmation_id, "delete_page")
        if isinstance(live, DeleteRefused):
            return live
        order = await self.client.find_order(live.ordernumber)
        refusal = _undeletable(live.ordernumber, order, again=True)
        if refusal is not None:
            return refusal
        assert order is not None
        return DeletePrompt(confirmation_id, order, live.expires_at)

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


def _undeletable(number: str, order: Order | None, *, again: bool = False) -> DeleteRefused | None:
    """Why a lookup says the order cannot be deleted (None: it can); ``again``: the lookup
    was made at the press, so the words say "no longer"."""
    if order is None:
        gone = " any more" if again else ""
        return DeleteRefused(Refusal.NOT_FOUND, f"Order {number} was not found{gone}.")
    verdict = deletability(order)
    if not verdict.allowed:
        reason = Refusal.ALREADY_DELETED if verdict.already_deleted else Refusal.NOT_DELETABLE
        now = " Nothing was sent to Ingram's delete." if again else ""
        return DeleteRefused(reason, verdict.reason + now, order)
    if order.entrydate is None:
        return DeleteRefused(
            Refusal.NOT_DELETABLE,
            f"Ingram did not give the entry date of order {number}, which a delete needs."
            " Try again later.",
            order,
        )
    return None
