"""Lookups and PO searches: what they say, escaping, and pages however big the answer."""

from __future__ import annotations

import re

import pytest

from bot.ingram.models import Order
from bot.slack.blocks import ACTION_PAGE_NEXT, ACTION_SHARE
from bot.slack.lookups import lookup_message, not_found_message
from bot.slack.paging import PageRef
from tests.slack.helpers import ENTERED, all_texts, assert_valid, make_order, raw_markup

NASTY = "<!channel> <https://evil.example|click> & <@U0BOSS>"


def every_page(ref: PageRef, orders: list[Order]) -> list:
    first = lookup_message(ref, orders)
    pages = [first]
    while ACTION_PAGE_NEXT in {
        e["action_id"]
        for b in pages[-1].blocks
        for e in b.get("elements", [])
        if b["type"] == "actions"
    }:
        ref = ref.at(ref.page + 1)
        pages.append(lookup_message(ref, orders))
    return pages


def test_a_lookup_shows_the_order_and_every_shipment_with_a_share_button() -> None:
    ref = PageRef("lookup", "20-RD12H")
    message = lookup_message(ref, [make_order()])
    assert_valid(message)
    text = "\n".join(all_texts(message.blocks))
    assert "*Order 20-RD12H* · PO *CUSTPO* · entered 2024-05-06 07:08 UTC · 3 shipments" in text
    assert text.count("`CH` HARD-9 CUST NOT FLOOR ORD (Credit check hold)") == 3
    (share,) = message.blocks[-1]["elements"]
    assert share["action_id"] == ACTION_SHARE and PageRef.parse(share["value"]) == ref
    # On hold: who is on it, and the hold actions of its cards (an order seen only in a
    # digest can be taken from a lookup too).
    assert "Nobody is on it" in text
    hold = [e["action_id"] for e in message.blocks[-2]["elements"]]
    assert hold == ["hold_take", "hold_snooze", "hold_refresh"]
    shared = lookup_message(ref, [make_order()], shareable=False, shared_by="U0ALICE")
    actions = [
        e["action_id"] for b in shared.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert ACTION_SHARE not in actions and "hold_take" in actions
    assert "Shared by <@U0ALICE>" in all_texts(shared.blocks)


def test_an_order_without_shipments_says_so() -> None:
    message = lookup_message(PageRef("lookup", "20-EMPTY"), [Order("20-EMPTY", ENTERED)])
    assert_valid(message)
    assert "Ingram Micro sent no shipments for this order." in all_texts(message.blocks)


@pytest.mark.parametrize(
    "orders",
    [
        [make_order(count=200)],
        [make_order(count=60, hold="LONG HOLD TEXT " * 200)],
        [make_order(count=200, hold=NASTY * 20)],
        [make_order(f"20-P{i:04d}", count=30, po="P" * 200) for i in range(60)],
        [make_order(f"20-P{i:04d}", count=1, hold="H" * 2900) for i in range(80)],
    ],
    ids=["200-shipments", "60-long-holds", "200-escaped-holds", "60-orders", "80-huge-lines"],
)
def test_every_page_of_every_lookup_fits_and_every_shipment_is_on_one(orders: list[Order]) -> None:
    ref = PageRef("po", "P" * 200) if len(orders) > 1 else PageRef("lookup", "20-RD12H")
    pages = every_page(ref, orders)
    shipments: list[str] = []
    for page in pages:
        assert_valid(page)
        assert raw_markup(page) == []
        assert page.blocks[-1]["type"] == "actions"  # the share button is on every page
        text = "\n".join(all_texts(page.blocks))
        total = sum(len(o.suborders) for o in orders)
        assert f"{total} shipments" in text  # how many there are in all, on every page
        shipments += re.findall(r"• \*(20-\w+-\d+)\*", text)
    assert shipments == [s.subordernumber for o in orders for s in o.suborders]
    if len(pages) > 1:
        assert f"(page 1 of {len(pages)})" in lookup_message(ref, orders).text


def test_a_highlighted_shipment_is_named_on_every_page() -> None:
    orders = [make_order(count=200, hold="LONG " * 50)]
    ref = PageRef("lookup", "20-RD12H-150")
    for number in (1, 2):
        page = lookup_message(ref.at(number), orders, highlight="20-RD12H-150")
        assert "You asked for shipment *20-RD12H-150*" in "\n".join(all_texts(page.blocks))


def test_not_found_escapes_the_query() -> None:
    message = not_found_message(NASTY)
    assert_valid(message)
    assert raw_markup(message) == []


def test_a_po_that_finds_nothing_escapes_it_and_says_how_pos_match() -> None:
    message = lookup_message(PageRef("po", NASTY), [])
    assert_valid(message)
    assert raw_markup(message) == []
    assert "matched exactly as entered, case included" in message.blocks[0]["text"]["text"]
