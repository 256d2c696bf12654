"""The diff between the snapshot and a poll: every event kind, combinations, baseline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingram.models import Link, Order, Suborder
from bot.store import SuborderState
from bot.watch.changes import (
    EVENT_KINDS,
    RULE_FIELDS,
    Event,
    diff,
    rows_from_orders,
)


def state(sub: str = "20-RD12H-11", **kw: str) -> SuborderState:
    order = kw.pop("ordernumber", sub.rsplit("-", 1)[0])
    return SuborderState(
        subordernumber=sub, ordernumber=order, customerordernumber=kw.pop("po", "PO-1"), **kw
    )


def run(previous: list[SuborderState], current: list[SuborderState]) -> list[tuple[str, str]]:
    events = diff(
        {s.subordernumber: s for s in previous},
        current,
        baseline=False,
        customernumber="20-123456",
        country="UK",
    )
    return [(e.kind, e.subordernumber) for e in events]


def test_event_kinds_and_fields_are_the_contract() -> None:
    assert EVENT_KINDS == (
        "hold_placed",
        "hold_released",
        "hold_changed",
        "status_changed",
        "suborder_added",
    )
    assert set(RULE_FIELDS) == {
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
    }


def test_baseline_yields_nothing() -> None:
    current = [state(holdreasoncode="C3"), state("20-X-11")]
    assert diff({}, current, baseline=True, customernumber="c", country="UK") == []


def test_no_change_no_event() -> None:
    s = state(statuscode="C", holdreasoncode="C3")
    assert run([s], [s]) == []


def test_text_only_change_is_not_an_event() -> None:
    before = state(holdreasoncode="C3", holdreason="CREDIT HOLD")
    after = state(holdreasoncode="C3", holdreason="CREDIT HOLD - CALL AR")
    assert run([before], [after]) == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"holdreasoncode": "C3"}, ["hold_placed"]),
        ({"holdreasoncode": "C3"}, {}, ["hold_released"]),
        ({"holdreasoncode": "C3"}, {"holdreasoncode": "SH"}, ["hold_changed"]),
        ({"statuscode": ""}, {"statuscode": "R"}, ["status_changed"]),
        (
            {"statuscode": "", "holdreasoncode": ""},
            {"statuscode": "C", "holdreasoncode": "CH"},
            ["hold_placed", "status_changed"],
        ),
        (
            {"statuscode": "C", "holdreasoncode": "CH"},
            {"statuscode": "R", "holdreasoncode": ""},
            ["hold_released", "status_changed"],
        ),
        (
            {"statuscode": "C", "holdreasoncode": "C3"},
            {"statuscode": "S", "holdreasoncode": "SH"},
            ["hold_changed", "status_changed"],
        ),
    ],
)
def test_each_kind_and_combination(before: dict, after: dict, expected: list[str]) -> None:
    assert [k for k, _ in run([state(**before)], [state(**after)])] == expected


def test_new_suborder_of_known_order_and_new_order() -> None:
    known = state("20-RD12H-11")
    events = run([known], [known, state("20-RD12H-12"), state("20-NEW1-11")])
    assert events == [("suborder_added", "20-NEW1-11"), ("suborder_added", "20-RD12H-12")]


def test_new_suborder_already_on_hold_also_yields_hold_placed() -> None:
    events = diff(
        {},
        [state(holdreasoncode="C3", statuscode="C")],
        baseline=False,
        customernumber="20-123456",
        country="UK",
    )
    assert [e.kind for e in events] == ["suborder_added", "hold_placed"]
    placed = events[1]
    assert placed.previous is None
    fields = placed.fields()
    assert fields["previous_holdreasoncode"] == ""
    assert fields["previous_holdreason"] == ""
    assert fields["holdreason"] == "Credit hold"


def test_missing_suborder_yields_nothing() -> None:
    assert run([state("20-A-11"), state("20-B-11")], [state("20-A-11")]) == []


def test_order_is_deterministic() -> None:
    previous = [
        state("20-B-11", statuscode=""),
        state("20-A-12", holdreasoncode="C3"),
    ]
    current = [
        state("20-C-11", holdreasoncode="SH"),
        state("20-B-11", statuscode="S", holdreasoncode="SH"),
        state("20-A-12"),
        state("20-A-11"),
    ]
    expected = [
        ("suborder_added", "20-A-11"),
        ("hold_released", "20-A-12"),
        ("hold_placed", "20-B-11"),
        ("status_changed", "20-B-11"),
        ("suborder_added", "20-C-11"),
        ("hold_placed", "20-C-11"),
    ]
    assert run(previous, current) == expected
    assert run(previous, list(reversed(current))) == expected


def test_fields_are_exactly_the_rule_fields_with_fallback_texts() -> None:
    before = state(statuscode="", status="", holdreasoncode="", holdreason="")
    after = state(statuscode="C", status="CREDIT HOLD", holdreasoncode="CH", holdreason="")
    (placed, status) = diff(
        {before.subordernumber: before},
        [after],
        baseline=False,
        customernumber="20-123456",
        country="UK",
    )
    fields = placed.fields()
    assert tuple(fields) == RULE_FIELDS
    assert fields == {
        "event": "hold_placed",
        "ordernumber": "20-RD12H",
        "subordernumber": "20-RD12H-11",
        "customerordernumber": "PO-1",
        "statuscode": "C",
        "status": "CREDIT HOLD",
        "holdreasoncode": "CH",
        "holdreason": "Credit check hold",
        "previous_statuscode": "",
        "previous_status": "In progress/Open order",
        "previous_holdreasoncode": "",
        "previous_holdreason": "No hold",
        "customernumber": "20-123456",
        "country": "UK",
    }
    assert status.fields()["event"] == "status_changed"
    assert all(isinstance(v, str) for v in fields.values())


def test_event_without_previous_has_blank_previous_fields() -> None:
    fields = Event("suborder_added", state(statuscode="R")).fields()
    assert [fields[k] for k in RULE_FIELDS if k.startswith("previous_")] == ["", "", "", ""]
    assert fields["status"] == "Released to the warehouse management system"


def test_rows_from_orders_skips_link_only_orders_and_dedupes() -> None:
    when = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    orders = [
        Order(
            "20-RD12H",
            entrytimestamp=when,
            customerordernumber="CUSTPO",
            suborders=(
                Suborder("20-RD12H-11", "C", "CREDIT HOLD", "CH", "HARD-9"),
                Suborder("20-RD12H-12"),
            ),
        ),
        Order("20-LINK1", links=(Link("orderdetails", "/x/20-LINK1"),), details=False),
        Order("20-NOTS", suborders=(Suborder("20-NOTS-11", holdreasoncode="SH"),)),
        # The same shipment again, read later in the poll: the last reading wins.
        Order(
            "20-RD12H",
            entrytimestamp=when,
            customerordernumber="CUSTPO",
            suborders=(Suborder("20-RD12H-12", "R"),),
        ),
    ]
    rows = rows_from_orders(orders)
    assert [r.subordernumber for r in rows] == ["20-RD12H-11", "20-RD12H-12", "20-NOTS-11"]
    first = rows[0]
    assert first == SuborderState(
        "20-RD12H-11",
        "20-RD12H",
        "CUSTPO",
        "2025-03-01T12:30:00.000000+00:00",
        "C",
        "CREDIT HOLD",
        "CH",
        "HARD-9",
    )
    assert rows[1].statuscode == "R"
    assert rows[2].entrytimestamp == ""
    assert rows[2].on_hold and not rows[1].on_hold
