"""The answers to ``/order 20-RD12H`` and ``/order po CUSTPO``: orders and their shipments,
in pages when they do not fit one message.

The first lines of every page say how many shipments (and orders) there are in all; the
shipments follow, as many as fit; the page line says how to narrow the answer down (one
shipment, one order). The "Share in channel" button shares the page on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.ingram.models import Order
from bot.slack.blocks import (
    ACTION_SHARE,
    Block,
    Message,
    actions,
    button,
    context,
    header,
    hold_label,
    order_summary,
    plural,
    section,
    shipment_line,
    status_label,
)
from bot.slack.cards import hold_actions, owner_line
from bot.slack.mrkdwn import escape, mention
from bot.slack.paging import Listing, PageRef, paged
from bot.store import Owner


def _highlighted(order: Order, highlight: str) -> Block:
    sub = order.suborder(highlight)
    if sub is None:
        return section(f"Order {escape(order.ordernumber)} has no shipment {escape(highlight)}.")
    return section(
        f"You asked for shipment *{escape(sub.subordernumber)}*:"
        f" {status_label(sub.statuscode, sub.status)}"
        f" · {hold_label(sub.holdreasoncode, sub.holdreason)}"
    )


def shipment_listing(order: Order, highlight: str | None = None) -> Listing:
    """One order's shipments, a line each."""
    return Listing([shipment_line(s, highlight) for s in order.suborders])


def orders_listing(orders: Sequence[Order]) -> Listing:
    """Several orders: each one's summary (a group's heading), then its shipments."""
    lines: list[str] = []
    headings: set[int] = set()
    for order in orders:
        headings.add(len(lines))
        lines.append(order_summary(order))
        lines += [shipment_line(s) for s in order.suborders]
        if not order.suborders:
            lines.append("• _Ingram Micro sent no shipments for this order._")
    return Listing(lines, frozenset(headings))


def lookup_message(
    ref: PageRef,
    orders: Sequence[Order],
    *,
    highlight: str | None = None,
    shareable: bool = True,
    shared_by: str | None = None,
    owner: Owner | None = None,
    now: datetime | None = None,
) -> Message:
    """Page ``ref.page`` of the answer to ``/order <ref.query>`` (``ref.kind`` "lookup") or
    ``/order po <ref.query>`` ("po"). ``shareable`` adds the "Share in channel" button;
    ``shared_by`` (a user ID) says who shared it. One order with a shipment on hold shows who
    is on it and its snooze (``owner``, at ``now``) and offers the hold actions of its cards,
    so an order that only appeared in a digest can be taken too."""
    if not orders:
        return po_not_found_message(ref.query) if ref.kind == "po" else not_found_message(ref.query)
    tail: list[Block] = []
    if shareable:
        tail.append(
            actions(button("Share in channel", ACTION_SHARE, ref.value()), block_id="share")
        )
    if shared_by is not None:
        tail.append(context(f"Shared by {mention(shared_by)}"))
    if len(orders) == 1 and any(s.on_hold and not s.deleted for s in orders[0].suborders):
        tail[:0] = [
            context(owner_line(owner, now or datetime.now(UTC))),
            hold_actions(orders[0].ordernumber, owner),
        ]
    if len(orders) == 1:
        order = orders[0]
        head = [header(f"Order {order.ordernumber}"), section(order_summary(order))]
        if highlight:
            head.append(_highlighted(order, highlight))
        if not order.suborders:
            head.append(context("Ingram Micro sent no shipments for this order."))
        first = order.suborders[0].subordernumber if order.suborders else f"{order.ordernumber}-11"
        hint = f"`/order {escape(first)}` shows one shipment."
        page = paged(head, shipment_listing(order, highlight), tail, ref, hint=hint)
        text = f"Order {order.ordernumber}: {plural(len(order.suborders), 'shipment')}"
    else:
        shipments = sum(len(o.suborders) for o in orders)
        head = [
            header(f"{len(orders)} orders with PO {ref.query}"),
            context(f"{plural(len(orders), 'order')}, {plural(shipments, 'shipment')} in all."),
        ]
        hint = f"`/order {escape(orders[0].ordernumber)}` shows one order."
        page = paged(head, orders_listing(orders), tail, ref, hint=hint)
        text = f"{len(orders)} orders with PO {ref.query}"
    if page.pages > 1:
        text += f" (page {page.page} of {page.pages})"
    return Message(text, page.blocks)


def not_found_message(query: str) -> Message:
    text = (
        f":mag: No order found for *{escape(query)}*. Check the number (orders look like"
        " `20-RD12H`, shipments like `20-RD12H-11`) or search by PO with `/order po <PO>`."
    )
    return Message(f"No order found for {query}", [section(text)])


def po_not_found_message(po: str) -> Message:
    """No order with this PO: say how POs match, since the PO typed was a PO search already."""
    text = (
        f":mag: No order found with PO *{escape(po)}*. POs are matched exactly as entered, case"
        " included (`CUSTPO` and `custpo` are two POs): check it against the order, or look"
        " the order up by its number, `/order 20-RD12H`."
    )
    return Message(f"No order found with PO {po}", [section(text)])
