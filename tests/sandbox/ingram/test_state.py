"""What the Ingram sandbox's state keeps, seen over loopback: added orders, suborder changes
and the requests it answered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ingram.parsing import parse_search_response
from bot.sandbox.ingram import SANDBOX_CUSTOMER, RunningSandbox, SeedOrder, sub
from tests.sandbox.ingram.helpers import ORDERS, SEARCH, START, TOKEN_PATH, Api, preamble


async def test_added_orders_are_searchable_and_deletable(sandbox: RunningSandbox, api: Api):
    when = START - timedelta(hours=2)
    order = SeedOrder("20-NEW01", SANDBOX_CUSTOMER, "UK", when, "NEW-PO", [sub("20-NEW01-11")])
    sandbox.state.add_order(order)
    page = parse_search_response((await api.search(customerordernumber="NEW-PO")).json())
    assert [o.ordernumber for o in page.orders] == ["20-NEW01"]
    latest = parse_search_response((await api.search(startcreatetimestamp=when.isoformat())).json())
    assert "20-NEW01" in {o.ordernumber for o in latest.orders}
    response = await api.delete("20-NEW01", entryDate=when.date().isoformat())
    assert preamble(response)["responsestatus"] == "SUCCESS"
    # Replacing an order re-indexes it.
    moved = SeedOrder("20-NEW01", SANDBOX_CUSTOMER, "UK", when, "OTHER-PO", [sub("20-NEW01-11")])
    sandbox.state.add_order(moved)
    assert (
        parse_search_response((await api.search(customerordernumber="NEW-PO")).json()).orders == ()
    )
    assert sandbox.state.order("20-new01") is moved


async def test_set_suborder_texts_follow_the_code_tables(sandbox: RunningSandbox, api: Api):
    sandbox.state.set_suborder("20-RD12H-21", statuscode="c", holdreasoncode="c3")
    s = (await api.find("20-RD12H"))["suborders"][1]
    assert (s["statuscode"], s["status"], s["holdreasoncode"], s["holdreason"]) == (
        "C",
        "CREDIT HOLD",
        "C3",
        "CREDIT HOLD",
    )
    sandbox.state.set_suborder("20-RD12H-21", statuscode="", holdreasoncode="", status="OPEN")
    s = (await api.find("20-RD12H"))["suborders"][1]
    assert (s["statuscode"], s["status"], s["holdreasoncode"], s["holdreason"]) == (
        "",
        "OPEN",
        "",
        "",
    )
    with pytest.raises(KeyError):
        sandbox.state.set_suborder("20-NOSUCH-11", statuscode="C")
    with pytest.raises(ValueError, match="status code"):
        sandbox.state.set_suborder("20-RD12H-21", statuscode="Q")


async def test_requests_are_recorded(sandbox: RunningSandbox, api: Api):
    await api.search(ordernumber="20-RD12H")
    await api.delete("20-NOSUCH", entryDate="2026-03-01")
    recorded = sandbox.state.counters.requests
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", TOKEN_PATH, 200),
        ("GET", SEARCH, 200),
        ("DELETE", f"{ORDERS}/20-NOSUCH", 200),
    ]
    assert recorded[1].query["ordernumber"] == "20-RD12H"
    assert recorded[0].query == {}  # the token form (and its secret) is not kept
    assert sandbox.state.search_calls == 1 and sandbox.state.delete_calls == 1
