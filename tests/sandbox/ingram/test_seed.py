"""The sandbox's seed data: realistic, deterministic, and covering every code of the spec."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.ingram.codes import HOLD_REASONS, ORDER_STATUSES, UNDELETABLE_STATUSES
from bot.ingram.models import parse_order_ref
from bot.sandbox.ingram.seed import (
    DE_CUSTOMER,
    OTHER_CUSTOMER,
    SANDBOX_CUSTOMER,
    SeedOrder,
    api_hold_text,
    api_status_text,
    build_bulk,
    build_seed,
)

NOW = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


def by_number(orders: list[SeedOrder]) -> dict[str, SeedOrder]:
    return {o.ordernumber: o for o in orders}


def codes(order: SeedOrder) -> list[tuple[str, str]]:
    return [(s.statuscode, s.holdreasoncode) for s in order.suborders]


def test_every_status_and_hold_code_is_used_by_the_sandbox_customer():
    mine = [s for o in build_seed(NOW) if o.customernumber == SANDBOX_CUSTOMER for s in o.suborders]
    assert {s.statuscode for s in mine} >= set(ORDER_STATUSES)
    assert {s.holdreasoncode for s in mine} >= set(HOLD_REASONS)
    assert {s.statuscode for s in mine} <= set(ORDER_STATUSES)
    assert {s.holdreasoncode for s in mine} <= set(HOLD_REASONS)


def test_the_named_orders():
    orders = by_number(build_seed(NOW))
    rd12h = orders["20-RD12H"]
    assert rd12h.customerordernumber == "CUSTPO"
    first = rd12h.suborders[0]
    assert (first.subordernumber, first.statuscode, first.status) == (
        "20-RD12H-11",
        "C",
        "CREDIT HOLD",
    )
    assert (first.holdreasoncode, first.holdreason) == ("CH", "HARD-9 CUST NOT FLOOR ORD")
    assert codes(rd12h)[1:] == [("", ""), ("S", "SH")]
    assert [s.subordernumber for s in rd12h.suborders] == [
        "20-RD12H-11",
        "20-RD12H-21",
        "20-RD12H-31",
    ]
    assert codes(orders["20-11852"]) == [("O", "IM"), ("O", "IM")]
    assert "R" in {s for s, _ in codes(orders["20-REL01"])}
    assert "F" in {s for s, _ in codes(orders["20-INV01"])}
    assert codes(orders["20-DEL01"]) == [("V", "VO"), ("V", "VO")]
    assert codes(orders["20-SH001"]) == [("S", "SH")]
    assert orders["20-LNK01"].link_only_in_search
    assert orders["20-LNK01"].customerordernumber == "CUSTPO"
    custpo = [
        o
        for o in orders.values()
        if o.customerordernumber == "CUSTPO" and o.customernumber == SANDBOX_CUSTOMER
    ]
    assert len(custpo) == 3
    # Deletable: not released, billed or invoiced.
    assert not {s for s, _ in codes(orders["20-11852"])} & UNDELETABLE_STATUSES
    assert {s for s, _ in codes(orders["20-REL01"])} & UNDELETABLE_STATUSES


def test_shape_of_the_data_set():
    seed = build_seed(NOW)
    mine = [o for o in seed if o.customernumber == SANDBOX_CUSTOMER]
    assert 101 <= len(mine) <= 200  # a page-size-100 walk has two pages
    assert max(len(o.suborders) for o in mine) >= 12
    assert min(len(o.suborders) for o in mine) == 1
    assert {(o.customernumber, o.country) for o in seed} == {
        (SANDBOX_CUSTOMER, "UK"),
        (OTHER_CUSTOMER, "UK"),
        (DE_CUSTOMER, "DE"),
    }
    assert len({o.ordernumber for o in seed}) == len(seed)
    for order in seed:
        assert NOW - timedelta(days=20) < order.entrytimestamp <= NOW
        assert order.entrytimestamp.microsecond == 0
        assert parse_order_ref(order.ordernumber) is not None
        assert order.customerordernumber
        for i, s in enumerate(order.suborders):
            assert s.subordernumber == f"{order.ordernumber}-{(i + 1) * 10 + 1}"
            assert s.status == api_status_text(s.statuscode)
            assert bool(s.holdreason) == bool(s.holdreasoncode)
            assert s.holdreason == s.holdreason.upper()


def test_seed_is_deterministic():
    assert build_seed(NOW) == build_seed(NOW)
    later = build_seed(NOW + timedelta(days=3))
    assert [o.ordernumber for o in later] == [o.ordernumber for o in build_seed(NOW)]


def test_api_texts():
    assert api_status_text("C") == "CREDIT HOLD"
    assert api_status_text("V") == "DELETED ORDER"
    assert api_hold_text("VO") == "DELETED ORDER"
    assert api_hold_text("") == ""


def test_build_bulk():
    orders = build_bulk(NOW, 100_000)
    subs = [s.subordernumber for o in orders for s in o.suborders]
    assert len(subs) == 100_000 == len(set(subs))
    assert 20_000 <= len(orders) <= 30_000
    assert len({o.ordernumber for o in orders}) == len(orders)
    assert all(NOW - timedelta(days=20) <= o.entrytimestamp <= NOW for o in orders)
    assert {o.ordernumber for o in orders}.isdisjoint(o.ordernumber for o in build_seed(NOW))
    assert re.fullmatch(r"20-B\d{5,}", orders[0].ordernumber)
    small = build_bulk(NOW, 7, customernumber="40-778899", country="DE", prefix="X")
    assert sum(len(o.suborders) for o in small) == 7
    assert small[0].ordernumber.startswith("40-X") and small[0].country == "DE"
