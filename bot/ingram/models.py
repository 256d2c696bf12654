"""Typed models of what the Ingram Micro order APIs return and accept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from bot.ingram.codes import (
    DELETED_HOLD,
    DELETED_STATUS,
    UNDELETABLE_STATUSES,
    hold_description,
    status_description,
)

_ORDER_RE = re.compile(r"^(?P<order>[0-9A-Z]{2}-[0-9A-Z]{2,12})(?:-(?P<sub>[0-9]{1,3}))?$")


@dataclass(frozen=True, slots=True)
class Link:
    """A HATEOAS link of an order or a suborder."""

    topic: str
    href: str
    type: str = "GET"


class ShipmentCodes:
    """What every record of a shipment's status and hold (``statuscode``, ``status``,
    ``holdreasoncode``, ``holdreason``) can say about them."""

    __slots__ = ()
    statuscode: str
    status: str
    holdreasoncode: str
    holdreason: str

    @property
    def on_hold(self) -> bool:
        """A suborder is on hold when its hold reason code is not blank."""
        return self.holdreasoncode != ""

    @property
    def deleted(self) -> bool:
        """The shipment is deleted: status ``V``, or hold reason ``VO`` (deleted order), which
        is no hold a person can act on."""
        return self.statuscode == DELETED_STATUS or self.holdreasoncode == DELETED_HOLD

    @property
    def status_text(self) -> str:
        """The API's status text, or the spec's description when the API sent none."""
        return self.status or status_description(self.statuscode)

    @property
    def hold_text(self) -> str:
        """The API's hold reason text, or the spec's description when the API sent none."""
        return self.holdreason or hold_description(self.holdreasoncode)


@dataclass(frozen=True, slots=True)
class Suborder(ShipmentCodes):
    """One shipment of an order."""

    subordernumber: str
    statuscode: str = ""
    status: str = ""
    holdreasoncode: str = ""
    holdreason: str = ""
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    """A sales order and its shipments.

    An entry of a search page can carry nothing but links (the spec's sample shows one);
    such an order has ``details=False``, no suborders and the order number taken from its link.
    """

    ordernumber: str
    entrytimestamp: datetime | None = None
    customerordernumber: str = ""
    suborders: tuple[Suborder, ...] = ()
    links: tuple[Link, ...] = ()
    details: bool = True

    @property
    def entrydate(self) -> date | None:
        """The order entry date (UTC), as OrderDeleteAPI's ``entrydate`` wants it."""
        return self.entrytimestamp.astimezone(UTC).date() if self.entrytimestamp else None

    def suborder(self, subordernumber: str) -> Suborder | None:
        """The shipment with this suborder number, if the order has it."""
        wanted = subordernumber.strip().upper()
        return next((s for s in self.suborders if s.subordernumber.upper() == wanted), None)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of an OrderLookupAPI search."""

    orders: tuple[Order, ...]
    ordersfound: int  # 0 when the API did not say
    pagesize: int
    pagenumber: int
    requeststatus: str = "SUCCESS"
    returnmessage: str = ""

    @property
    def pages(self) -> int:
        """How many pages the whole result spans at this page size."""
        if self.ordersfound <= 0 or self.pagesize <= 0:
            return 1 if self.orders else 0
        return -(-self.ordersfound // self.pagesize)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The search criteria of OrderLookupAPI (customer number and country come from the client).

    ``start`` and ``end`` bound the order entry time; naive datetimes are taken as UTC.
    """

    ordernumber: str | None = None
    customerordernumber: str | None = None
    orderstatus: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def to_params(self) -> dict[str, str]:
        """The query string parameters, with the spec's names."""
        params: dict[str, str] = {}
        if self.ordernumber:
            params["ordernumber"] = self.ordernumber.strip().upper()
        if self.customerordernumber:
            params["customerordernumber"] = self.customerordernumber.strip()
        if self.orderstatus is not None:
            params["orderstatus"] = self.orderstatus.strip().upper()
        if self.start is not None:
            params["startcreatetimestamp"] = format_timestamp(self.start)
        if self.end is not None:
            params["endcreatetimestamp"] = format_timestamp(self.end)
        return params


class DeleteOutcome(StrEnum):
    """What became of a delete request."""

    DELETED = "deleted"
    NOT_FOUND = "not_found"
    ALREADY_DELETED = "already_deleted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeleteResult:
    """The typed outcome of an OrderDeleteAPI call.

    ``message`` is the API's own response message and ``remedy`` the spec's remedial action
    for it; ``statuscode`` is the preamble's status code as a string ("" when absent).
    """

    ordernumber: str
    outcome: DeleteOutcome
    message: str = ""
    statuscode: str = ""
    remedy: str = ""
    retried: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when the order is gone: deleted now, or found already deleted."""
        return self.outcome in (DeleteOutcome.DELETED, DeleteOutcome.ALREADY_DELETED)


@dataclass(frozen=True, slots=True)
class Deletability:
    """Whether an order can be deleted, and if not, why in words a user understands."""

    allowed: bool
    reason: str = ""
    already_deleted: bool = False


def is_deleted(order: Order) -> bool:
    """True when every shipment of the order is deleted (status V or hold reason VO)."""
    return bool(order.suborders) and all(s.deleted for s in order.suborders)


def deletability(order: Order) -> Deletability:
    """Decide from a lookup whether OrderDeleteAPI can still delete this order.

    An order whose every shipment is deleted (status V or hold VO) is already deleted; an order
    with any shipment released to the warehouse, billed or invoiced cannot be deleted.
    """
    if is_deleted(order):
        return Deletability(False, f"Order {order.ordernumber} is already deleted.", True)
    blocked = [s for s in order.suborders if s.statuscode in UNDELETABLE_STATUSES]
    if blocked:
        what = ", ".join(
            f"{s.subordernumber} is {status_description(s.statuscode).lower()}" for s in blocked
        )
        return Deletability(
            False,
            f"Order {order.ordernumber} cannot be deleted: {what}. Only orders that have not"
            " been released, billed or invoiced can be deleted.",
        )
    return Deletability(True)


@dataclass(frozen=True, slots=True)
class OrderRef:
    """An order number as a user typed it, split into order and optional suborder."""

    ordernumber: str
    subordernumber: str | None = None


def parse_order_ref(text: str) -> OrderRef | None:
    """Read ``20-RD12H`` or a suborder number ``20-RD12H-11``; None when it is neither."""
    m = _ORDER_RE.match(text.strip().upper())
    if not m:
        return None
    order = m.group("order")
    sub = m.group("sub")
    return OrderRef(order, f"{order}-{sub}" if sub else None)


def format_timestamp(when: datetime) -> str:
    """A timestamp as the API writes them: UTC, seconds, ``Z`` suffix."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str | None) -> datetime | None:
    """Read an entry timestamp (ISO 8601, ``Z`` or offset, or a bare date); None if unreadable."""
    if not text:
        return None
    raw = str(text).strip()
    if raw.endswith(("+0000", "-0000")):
        raw = raw[:-5] + "+00:00"
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_entry_date(value: str | date) -> date:
    """Validate an OrderDeleteAPI entry date, which must be ``YYYY-MM-DD``.

    Raises ``ValueError`` with a message that says what is wrong.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"entry date {text!r} is not in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"entry date {text!r} is not a real date (YYYY-MM-DD)") from None
