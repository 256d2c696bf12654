"""What changed between two polls: the snapshot rows of the hold watcher and the events
derived from them.

A poll reads every order in the lookback window and turns it into one ``SuborderState`` per
shipment (``rows_from_orders``). ``diff`` compares those with the stored snapshot and yields
the events that rules match on: ``hold_placed``, ``hold_released``, ``hold_changed``,
``status_changed`` and ``suborder_added``. Nothing here touches the database or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.clock import iso
from bot.ingram.models import Order
from bot.store import SuborderState

HOLD_PLACED = "hold_placed"
HOLD_RELEASED = "hold_released"
HOLD_CHANGED = "hold_changed"
STATUS_CHANGED = "status_changed"
SUBORDER_ADDED = "suborder_added"

#: Every event the watcher derives, i.e. every value a rule's ``on:`` accepts.
EVENT_KINDS: tuple[str, ...] = (
    HOLD_PLACED,
    HOLD_RELEASED,
    HOLD_CHANGED,
    STATUS_CHANGED,
    SUBORDER_ADDED,
)

#: The fields of an event: what a rule's ``match:`` keys and ``message`` placeholders may name.
RULE_FIELDS: tuple[str, ...] = (
    "event",
    "ordernumber",
    "subordernumber",
    "customerordernumber",
    "statuscode",
    "status",
    "holdreasoncode",
    "holdreason",
    "previous_statuscode",
    "previous_status",
    "previous_holdreasoncode",
    "previous_holdreason",
    "customernumber",
    "country",
)

# The order of events of one suborder within a poll: a new shipment is announced before
# the hold it arrived with; hold events before the status change that accompanies them.
_KIND_ORDER: dict[str, int] = {
    kind: i
    for i, kind in enumerate(
        (SUBORDER_ADDED, HOLD_PLACED, HOLD_CHANGED, HOLD_RELEASED, STATUS_CHANGED)
    )
}


def rows_from_orders(orders: Iterable[Order]) -> list[SuborderState]:
    """One ``SuborderState`` per shipment of ``orders``.

    Link-only orders (``details`` False) carry no shipments and are skipped. A suborder that
    appears twice (a search page shifting during a poll) is kept once, with its last reading.
    """
    rows: dict[str, SuborderState] = {}
    for order in orders:
        if not order.details:
            continue
        entry = iso(order.entrytimestamp) if order.entrytimestamp else ""
        for sub in order.suborders:
            rows[sub.subordernumber] = SuborderState(
                subordernumber=sub.subordernumber,
                ordernumber=order.ordernumber,
                customerordernumber=order.customerordernumber,
                entrytimestamp=entry,
                statuscode=sub.statuscode,
                status=sub.status,
                holdreasoncode=sub.holdreasoncode,
                holdreason=sub.holdreason,
            )
    return list(rows.values())


@dataclass(frozen=True, slots=True)
class Event:
    """One change the watcher noticed, with the account it belongs to.

    ``previous`` is None for a suborder the snapshot did not hold (``suborder_added`` and the
    ``hold_placed`` of a shipment that arrived already on hold).
    """

    kind: str
    current: SuborderState
    previous: SuborderState | None = None
    customernumber: str = ""
    country: str = ""

    @property
    def ordernumber(self) -> str:
        """The order the event is about."""
        return self.current.ordernumber

    @property
    def subordernumber(self) -> str:
        """The shipment the event is about."""
        return self.current.subordernumber

    @classmethod
    def from_fields(cls, fields: Mapping[str, str], *, new_shipment: bool) -> Event:
        """The event again from its ``fields()`` (as the store keeps them), with no previous
        state when it was about a shipment the snapshot did not hold (``new_shipment``).
        ``fields()`` of the result equals ``fields``; only the entry time is not kept."""

        def state(prefix: str) -> SuborderState:
            return SuborderState(
                subordernumber=fields.get("subordernumber", ""),
                ordernumber=fields.get("ordernumber", ""),
                customerordernumber=fields.get("customerordernumber", ""),
                statuscode=fields.get(f"{prefix}statuscode", ""),
                status=fields.get(f"{prefix}status", ""),
                holdreasoncode=fields.get(f"{prefix}holdreasoncode", ""),
                holdreason=fields.get(f"{prefix}holdreason", ""),
            )

        return cls(
            fields.get("event", ""),
            state(""),
            None if new_shipment else state("previous_"),
            fields.get("customernumber", ""),
            fields.get("country", ""),
        )

    def fields(self) -> dict[str, str]:
        """The event as rules see it: exactly the keys of ``RULE_FIELDS``, all strings.

        Status and hold texts fall back to the spec's descriptions when the API sent none;
        the ``previous_`` fields are "" when there is no previous state.
        """
        cur, prev = self.current, self.previous
        return {
            "event": self.kind,
            "ordernumber": cur.ordernumber,
            "subordernumber": cur.subordernumber,
            "customerordernumber": cur.customerordernumber,
            "statuscode": cur.statuscode,
            "status": cur.status_text,
            "holdreasoncode": cur.holdreasoncode,
            "holdreason": cur.hold_text,
            "previous_statuscode": prev.statuscode if prev else "",
            "previous_status": prev.status_text if prev else "",
            "previous_holdreasoncode": prev.holdreasoncode if prev else "",
            "previous_holdreason": prev.hold_text if prev else "",
            "customernumber": self.customernumber,
            "country": self.country,
        }


def diff(
    previous: Mapping[str, SuborderState],
    current: Iterable[SuborderState],
    *,
    baseline: bool,
    customernumber: str,
    country: str,
) -> list[Event]:
    """The events between the snapshot (``previous``, keyed by suborder number) and a poll.

    A baseline poll (the first one of an empty database) yields nothing: it only records.
    A suborder missing from ``current`` yields nothing either. A new suborder yields
    ``suborder_added`` and, when it arrives on hold, also ``hold_placed``; a known one can
    yield one hold event and ``status_changed`` together. The result is sorted by order
    number, suborder number and then a fixed kind order (added, placed, changed, released,
    status), so the same inputs always give the same list.
    """
    if baseline:
        return []
    events: list[Event] = []

    def add(kind: str, cur: SuborderState, prev: SuborderState | None) -> None:
        events.append(Event(kind, cur, prev, customernumber, country))

    for cur in current:
        prev = previous.get(cur.subordernumber)
        if prev is None:
            add(SUBORDER_ADDED, cur, None)
            if cur.holdreasoncode:
                add(HOLD_PLACED, cur, None)
            continue
        if prev == cur:
            continue
        was, now = prev.holdreasoncode, cur.holdreasoncode
        if was != now:
            if not was:
                add(HOLD_PLACED, cur, prev)
            elif not now:
                add(HOLD_RELEASED, cur, prev)
            else:
                add(HOLD_CHANGED, cur, prev)
        if prev.statuscode != cur.statuscode:
            add(STATUS_CHANGED, cur, prev)

    # dict.fromkeys drops an exact duplicate (the same suborder listed twice in ``current``).
    unique = list(dict.fromkeys(events))
    unique.sort(key=lambda e: (e.ordernumber, e.subordernumber, _KIND_ORDER[e.kind]))
    return unique
