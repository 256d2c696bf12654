"""The Ingram sandbox's orders: stored, indexed, searched and deleted as the API does.

``OrderBook`` keeps every order by number, every suborder by number, and each customer's
orders sorted by (entry time, order number) and by PO, so that a search by time window is a
bisection and a page a slice, even for 100,000 suborders. Orders are changed in place by
deletes, the scenario and the control API.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.ingram.codes import (
    DELETE_ABEND,
    DELETE_ALREADY_DELETED,
    DELETE_NOT_FOUND,
    DELETE_OK,
    DELETED_HOLD,
    DELETED_STATUS,
    HOLD_REASONS,
    ORDER_STATUSES,
    UNDELETABLE_STATUSES,
    DeletePreamble,
)
from bot.sandbox.ingram.params import SearchRequest
from bot.sandbox.ingram.seed import SeedOrder, SeedSuborder, api_hold_text, api_status_text


def _order_key(order: SeedOrder) -> tuple[datetime, str]:
    return (order.entrytimestamp, order.ordernumber)


def _entry_time(order: SeedOrder) -> datetime:
    return order.entrytimestamp


def _code(name: str, value: str, table: Mapping[str, object], what: str) -> str:
    """``value`` as a code of ``table`` (trimmed, upper case); ValueError if it is not one."""
    code = value.strip().upper()
    if code not in table:
        raise ValueError(f"{name} {value!r} is not {what}")
    return code


class _CustomerIndex:
    """One customer's orders, sorted by (entry time, order number), and by PO."""

    def __init__(self) -> None:
        self.orders: list[SeedOrder] = []
        self.by_po: dict[str, list[SeedOrder]] = {}

    def insert(self, order: SeedOrder) -> None:
        bisect.insort(self.orders, order, key=_order_key)
        self.by_po.setdefault(order.customerordernumber, []).append(order)

    def remove(self, order: SeedOrder) -> None:
        i = bisect.bisect_left(self.orders, _order_key(order), key=_order_key)
        while i < len(self.orders) and self.orders[i] is not order:
            i += 1
        if i < len(self.orders):
            del self.orders[i]
        same_po = self.by_po.get(order.customerordernumber, [])
        if order in same_po:
            same_po.remove(order)


@dataclass
class SearchResult:
    """The orders of the requested page (each with the suborders to list) and the total."""

    page: list[tuple[SeedOrder, list[SeedSuborder]]]
    ordersfound: int


class OrderBook:
    """Every order of the sandbox (any customer), indexed for the API's searches."""

    def __init__(self, orders: list[SeedOrder]) -> None:
        self._abends = 0
        self._orders: dict[str, SeedOrder] = {}
        self._suborders: dict[str, tuple[SeedOrder, SeedSuborder]] = {}
        self._customers: dict[tuple[str, str], _CustomerIndex] = {}
        self._load(orders)

    def __iter__(self) -> Iterator[SeedOrder]:
        """Every stored order, in no particular order."""
        return iter(self._orders.values())

    def _load(self, orders: list[SeedOrder]) -> None:
        """Index a whole list at once (a later order replaces an earlier one of that number)."""
        for order in orders:
            self._normalise(order)
            self._orders[order.ordernumber] = order
        groups: dict[tuple[str, str], list[SeedOrder]] = {}
        for order in self._orders.values():
            for s in order.suborders:
                self._suborders[s.subordernumber] = (order, s)
            groups.setdefault(self._customer_key(order), []).append(order)
        for key, group in groups.items():
            group.sort(key=_order_key)
            index = self._customers[key] = _CustomerIndex()
            index.orders = group
            for order in group:
                index.by_po.setdefault(order.customerordernumber, []).append(order)

    @staticmethod
    def _normalise(order: SeedOrder) -> None:
        order.ordernumber = order.ordernumber.strip().upper()
        order.customernumber = order.customernumber.strip()
        order.country = order.country.strip().upper()
        when = order.entrytimestamp
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        order.entrytimestamp = when.astimezone(UTC).replace(microsecond=0)
        for s in order.suborders:
            s.subordernumber = s.subordernumber.strip().upper()

    @staticmethod
    def _customer_key(order: SeedOrder) -> tuple[str, str]:
        return (order.customernumber.upper(), order.country.upper())

    def add(self, order: SeedOrder) -> None:
        """Add an order (or replace the one with the same number)."""
        self._normalise(order)
        old = self._orders.pop(order.ordernumber, None)
        if old is not None:
            self._customers[self._customer_key(old)].remove(old)
            for s in old.suborders:
                self._suborders.pop(s.subordernumber, None)
        self._orders[order.ordernumber] = order
        for s in order.suborders:
            self._suborders[s.subordernumber] = (order, s)
        self._customers.setdefault(self._customer_key(order), _CustomerIndex()).insert(order)

    def order(self, ordernumber: str) -> SeedOrder | None:
        """The stored order with this number (any customer), or None."""
        return self._orders.get(ordernumber.strip().upper())

    def suborder(self, subordernumber: str) -> SeedSuborder | None:
        """The stored suborder with this number, or None."""
        found = self._suborders.get(subordernumber.strip().upper())
        return found[1] if found else None

    @property
    def order_count(self) -> int:
        return len(self._orders)

    @property
    def suborder_count(self) -> int:
        return len(self._suborders)

    def set_suborder(
        self,
        subordernumber: str,
        *,
        statuscode: str | None = None,
        holdreasoncode: str | None = None,
        status: str | None = None,
        holdreason: str | None = None,
    ) -> None:
        """Change a suborder's codes and texts; texts left out follow the code tables.

        Raises ``KeyError`` for an unknown suborder and ``ValueError`` for a code that is not
        in the spec's tables.
        """
        found = self._suborders.get(subordernumber.strip().upper())
        if found is None:
            raise KeyError(f"no suborder {subordernumber!r} in the sandbox")
        s = found[1]
        if statuscode is not None:
            s.statuscode = _code("statuscode", statuscode, ORDER_STATUSES, "an order status code")
            s.status = api_status_text(s.statuscode) if status is None else status
        elif status is not None:
            s.status = status
        if holdreasoncode is not None:
            s.holdreasoncode = _code(
                "holdreasoncode", holdreasoncode, HOLD_REASONS, "a hold reason code"
            )
            s.holdreason = api_hold_text(s.holdreasoncode) if holdreason is None else holdreason
        elif holdreason is not None:
            s.holdreason = holdreason

    def search(self, req: SearchRequest) -> SearchResult:
        """The orders matching a search, sorted by (entry time, order number), one page."""
        index = self._customers.get((req.customernumber.upper(), req.country.upper()))
        status = req.orderstatus
        if index is None:
            return SearchResult([], 0)
        if req.ordernumber is not None or req.customerordernumber is not None:
            if req.ordernumber is not None:
                order = self._orders.get(req.ordernumber)
                mine = order is not None and self._customer_key(order) == (
                    req.customernumber.upper(),
                    req.country.upper(),
                )
                pool = [order] if mine and order is not None else []
            else:
                pool = sorted(index.by_po.get(req.customerordernumber or "", []), key=_order_key)
            po = req.customerordernumber
            matches = [
                o
                for o in pool
                if (po is None or o.customerordernumber == po)
                and (req.start is None or o.entrytimestamp >= req.start)
                and (req.end is None or o.entrytimestamp <= req.end)
                and (status is None or any(s.statuscode == status for s in o.suborders))
            ]
            total = len(matches)
            first = (req.pagenumber - 1) * req.pagesize
            chosen = matches[first : first + req.pagesize]
        else:
            orders = index.orders
            lo = 0 if req.start is None else bisect.bisect_left(orders, req.start, key=_entry_time)
            hi = (
                len(orders)
                if req.end is None
                else bisect.bisect_right(orders, req.end, key=_entry_time)
            )
            first = (req.pagenumber - 1) * req.pagesize
            if status is None:
                total = max(0, hi - lo)
                chosen = orders[lo + first : min(hi, lo + first + req.pagesize)] if total else []
            else:
                matches = [
                    o for o in orders[lo:hi] if any(s.statuscode == status for s in o.suborders)
                ]
                total = len(matches)
                chosen = matches[first : first + req.pagesize]
        if status is None:
            page = [(o, o.suborders) for o in chosen]
        else:
            page = [(o, [s for s in o.suborders if s.statuscode == status]) for o in chosen]
        return SearchResult(page, total)

    def delete(
        self, ordernumber: str, customernumber: str, country: str, entrydate: date
    ) -> tuple[DeletePreamble, str]:
        """Delete an order if the API would; the preamble row and the message to answer."""
        order = self._orders.get(ordernumber.strip().upper())
        if (
            order is None
            or order.customernumber.upper() != customernumber.strip().upper()
            or order.country.upper() != country.strip().upper()
            or order.entrytimestamp.astimezone(UTC).date() != entrydate
        ):
            return DELETE_NOT_FOUND, DELETE_NOT_FOUND.responsemessage
        subs = order.suborders
        if subs and all(s.statuscode == DELETED_STATUS for s in subs):
            return DELETE_ALREADY_DELETED, DELETE_ALREADY_DELETED.responsemessage
        if any(s.statuscode in UNDELETABLE_STATUSES for s in subs):
            return DELETE_ABEND, self.abend_message()
        for s in subs:
            s.statuscode = DELETED_STATUS
            s.status = api_status_text(DELETED_STATUS)
            s.holdreasoncode = DELETED_HOLD
            s.holdreason = api_hold_text(DELETED_HOLD)
        return DELETE_OK, f"{DELETE_OK.responsemessage} {order.ordernumber}"

    def abend_message(self) -> str:
        """The ABEND preamble's message with a transaction number where the spec has x's."""
        self._abends += 1
        return DELETE_ABEND.responsemessage.replace("xxxxxxxx", f"{40_000_000 + self._abends:08d}")
