"""The Ingram sandbox's order search over real loopback: filters, pages, both layouts.

Each of the lookup spec's "Recommended Tests" has a test here (marked "spec:"), run with raw
httpx against the emulator so that what is checked is the wire format, not a client's reading
of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.ingram.parsing import parse_search_response
from bot.sandbox.ingram import SANDBOX_CUSTOMER, RunningSandbox, build_seed
from tests.sandbox.ingram.helpers import (
    CUSTOMER,
    RATE_HEADERS,
    SEARCH,
    START,
    Api,
    Factory,
    get_token,
    preamble,
)


async def test_spec_query_by_order_number(api: Api):
    """spec: Query a valid order by Ingram Micro sales order number (case-insensitive)."""
    response = await api.search(ordernumber="20-rd12h")
    assert response.status_code == 200
    body = response.json()
    assert body["serviceresponse"]["responsepreamble"] == {
        "requeststatus": "SUCCESS",
        "returnmessage": "1 Records Found.",
    }
    order = body["serviceresponse"]["ordesearchresponse"]["orders"][0]
    assert order["ordernumber"] == "20-RD12H"
    assert order["customerordernumber"] == "CUSTPO"
    assert datetime.strptime(order["entrytimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert order["links"] == [
        {
            "topic": "orders",
            "href": "/resellers/v5/orders/20-RD12H?customerNumber=20-123456&isoCountryCode=UK",
            "type": "GET",
        }
    ]
    first, second, third = order["suborders"]
    assert first == {
        "subordernumber": "20-RD12H-11",
        "statuscode": "C",
        "status": "CREDIT HOLD",
        "holdreasoncode": "CH",
        "holdreason": "HARD-9 CUST NOT FLOOR ORD",
        "links": [
            {
                "topic": "orders",
                "href": "/resellers/v5/orders/20-RD12H-11?customerNumber=20-123456"
                "&isoCountryCode=UK",
                "type": "GET",
            }
        ],
    }
    assert (second["subordernumber"], second["statuscode"], second["holdreasoncode"]) == (
        "20-RD12H-21",
        "",
        "",
    )
    assert (third["statuscode"], third["status"], third["holdreasoncode"]) == (
        "S",
        "SALES HOLD",
        "SH",
    )


async def test_spec_query_by_order_number_status_and_timestamp(sandbox: RunningSandbox, api: Api):
    """spec: Query a valid order by order number, order status, and timestamp."""
    when = sandbox.state.order("20-RD12H").entrytimestamp
    window = {
        "startcreatetimestamp": (when - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endcreatetimestamp": (when + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    response = await api.search(ordernumber="20-RD12H", orderstatus="S", **window)
    order = parse_search_response(response.json()).orders[0]
    assert [s.subordernumber for s in order.suborders] == ["20-RD12H-31"]  # only status S
    later = {"startcreatetimestamp": (when + timedelta(seconds=1)).isoformat()}
    response = await api.search(ordernumber="20-RD12H", orderstatus="S", **later)
    assert preamble(response) == {"requeststatus": "FAILED", "returnmessage": "No data found"}
    response = await api.search(ordernumber="20-RD12H", orderstatus="F")
    assert preamble(response)["requeststatus"] == "FAILED"


async def test_spec_query_order_with_multiple_shipments_paged(api: Api):
    """spec: Query a valid order with multiple shipments using pagenumber and pagesize."""
    response = await api.search(ordernumber="20-MX14B", pagesize=2, pagenumber=1)
    result = response.json()["serviceresponse"]["ordesearchresponse"]
    assert (result["ordersfound"], result["pagesize"], result["pagenumber"]) == (1, 2, 1)
    suborders = result["orders"][0]["suborders"]
    assert len(suborders) == 14
    assert [s["subordernumber"] for s in suborders][:3] == [
        "20-MX14B-11",
        "20-MX14B-21",
        "20-MX14B-31",
    ]
    # Pages count orders, not shipments: page 2 of a one-order result is empty.
    response = await api.search(ordernumber="20-MX14B", pagesize=2, pagenumber=2)
    assert preamble(response)["returnmessage"] == "No data found"


async def test_spec_query_by_customer_po(sandbox: RunningSandbox, api: Api):
    """spec: Query a valid order by customer purchase order number (several orders share it)."""
    response = await api.search(customerordernumber="CUSTPO")
    page = parse_search_response(response.json())
    assert page.ordersfound == 3
    assert {o.ordernumber for o in page.orders} == {"20-RD12H", "20-RD47K", "20-LNK01"}
    assert "20-XC001" not in response.text  # another customer's CUSTPO order
    # Exact match only.
    response = await api.search(customerordernumber="custpo")
    assert preamble(response)["returnmessage"] == "No Data Found for given Search Criteria."


async def test_spec_query_by_invalid_search_criteria(api: Api):
    """spec: Query an order by invalid search criteria: both "no data" forms, and 400s."""
    unknown_number = await api.search(ordernumber="20-NOSUCH")
    assert unknown_number.status_code == 200
    assert preamble(unknown_number) == {"requeststatus": "FAILED", "returnmessage": "No data found"}
    unknown_po = await api.search(customerordernumber="NO-SUCH-PO")
    assert unknown_po.status_code == 200
    assert preamble(unknown_po) == {
        "requeststatus": "SUCCESS",
        "returnmessage": "No Data Found for given Search Criteria.",
    }
    for response in (unknown_number, unknown_po):
        page = parse_search_response(response.content)
        assert page.orders == () and page.ordersfound == 0
    other = await api.search(customerNumber="20-999999")
    assert preamble(other)["returnmessage"] == "No Data Found for given Search Criteria."
    assert (await api.search(orderstatus="X")).status_code == 400
    assert (await api.search(startcreatetimestamp="yesterday")).status_code == 400
    assert (await api.search(endcreatetimestamp="2026-13-01T00:00:00Z")).status_code == 400


async def test_spec_query_with_multiple_sales_orders(api: Api):
    """spec: Query a valid order with multiple sales orders: a whole-account walk, page size 100."""
    seen: list[str] = []
    first = await api.search(pagesize=100, pagenumber=1)
    page = parse_search_response(first.json())
    assert page.ordersfound == 150 and page.pages == 2 and len(page.orders) == 100
    seen += [o.ordernumber for o in page.orders]
    second = parse_search_response((await api.search(pagesize=100, pagenumber=2)).json())
    assert len(second.orders) == 50
    seen += [o.ordernumber for o in second.orders]
    assert len(set(seen)) == 150
    stamps = [o.entrytimestamp for o in page.orders + second.orders if o.details]
    assert stamps == sorted(stamps)
    beyond = await api.search(pagesize=100, pagenumber=3)
    assert preamble(beyond)["requeststatus"] == "SUCCESS"
    assert parse_search_response(beyond.json()).orders == ()
    again = parse_search_response((await api.search(pagesize=100, pagenumber=1)).json())
    assert [o.ordernumber for o in again.orders] == seen[:100]  # deterministic


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"pagesize": 101}, 400),
        ({"pagesize": 0}, 400),
        ({"pagesize": "ten"}, 400),
        ({"pagenumber": 0}, 400),
        ({"pagenumber": "1.5"}, 400),
        ({"pagesize": 100}, 200),
        ({"customerNumber": ""}, 400),
        ({"isocountrycode": ""}, 400),
    ],
)
async def test_search_parameter_validation(api: Api, params: dict[str, Any], status: int):
    response = await api.search(**params)
    assert response.status_code == status
    assert all(h in response.headers for h in RATE_HEADERS)
    if status == 400:
        assert preamble(response)["requeststatus"] == "FAILED"
        assert preamble(response)["returnmessage"]


@pytest.mark.parametrize(
    ("customer", "country", "missing"),
    [
        ("customernumber", "isocountrycode", "customer number required (customerNumber)"),
        ("CustomerNumber", "isocountrycode", "customer number required (customerNumber)"),
        ("customerNumber", "isoCountryCode", "country code required (isocountrycode)"),
    ],
)
async def test_search_parameter_names_are_matched_exactly(
    api: Api, customer: str, country: str, missing: str
):
    """Ingram's own samples, OpenAPI document and SDK spell them customerNumber and
    isocountrycode; any other spelling is a name the API does not know, so it is ignored."""
    params = {customer: SANDBOX_CUSTOMER, country: "UK", "ordernumber": "20-RD12H"}
    response = await api.http.get(SEARCH, params=params, headers=api.headers)
    assert response.status_code == 400
    assert preamble(response)["returnmessage"] == missing


async def test_unknown_parameters_are_ignored_and_filters_are_case_sensitive(api: Api):
    response = await api.search(ordernumber="20-RD12H", distributionnumber="1", foo="bar")
    assert [o.ordernumber for o in parse_search_response(response.content).orders] == ["20-RD12H"]
    # OrderNumber is not ordernumber: ignored, so this is a search of every order.
    every = parse_search_response((await api.search(OrderNumber="20-RD12H")).content)
    assert every.ordersfound > 1


async def test_search_default_page_size(api: Api):
    result = (await api.search()).json()["serviceresponse"]["ordesearchresponse"]
    assert (result["pagesize"], result["pagenumber"], len(result["orders"])) == (25, 1, 25)


async def test_search_by_status(sandbox: RunningSandbox, api: Api):
    response = await api.search(orderstatus="c", pagesize=100)
    page = parse_search_response(response.json())
    expected = {
        o.ordernumber
        for o in build_seed(START)
        if o.customernumber == SANDBOX_CUSTOMER and any(s.statuscode == "C" for s in o.suborders)
    }
    assert page.ordersfound == len(expected) > 3
    full = [o for o in page.orders if o.details]
    assert full and all(s.statuscode == "C" for o in full for s in o.suborders)
    # A blank orderstatus asks for open shipments (status code blank).
    blank = parse_search_response((await api.search(orderstatus="", pagesize=100)).json())
    assert blank.ordersfound > 0
    assert all(s.statuscode == "" for o in blank.orders for s in o.suborders)


async def test_search_by_time_window_bounds_are_inclusive(sandbox: RunningSandbox, api: Api):
    stamp = sandbox.state.order("20-SH001").entrytimestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = await api.search(startcreatetimestamp=stamp, endcreatetimestamp=stamp)
    page = parse_search_response(response.json())
    assert [o.ordernumber for o in page.orders] == ["20-SH001"]
    # A window over the whole seed finds everything; one after now finds nothing.
    everything = await api.search(startcreatetimestamp="2020-01-01T00:00:00Z")
    assert parse_search_response(everything.json()).ordersfound == 150
    after = await api.search(startcreatetimestamp=(START + timedelta(seconds=1)).isoformat())
    assert preamble(after)["returnmessage"] == "No Data Found for given Search Criteria."


async def test_filters_combine(sandbox: RunningSandbox, api: Api):
    response = await api.search(customerordernumber="CUSTPO", orderstatus="R")
    page = parse_search_response(response.json())
    assert [o.ordernumber for o in page.orders] == ["20-RD47K"]
    assert [s.subordernumber for s in page.orders[0].suborders] == ["20-RD47K-11"]


async def test_query_parameter_values_are_case_insensitive(api: Api):
    params = {"customerNumber": SANDBOX_CUSTOMER, "isocountrycode": "uk", "ordernumber": "20-rd12h"}
    response = await api.http.get(SEARCH, params=params, headers=api.headers)
    assert response.status_code == 200
    assert parse_search_response(response.json()).orders[0].ordernumber == "20-RD12H"


async def test_sandbox_prefix_and_unknown_paths(api: Api):
    response = await api.search("/sandbox", ordernumber="20-RD12H")
    assert response.status_code == 200
    for method, path in (
        ("GET", "/resellers/v5/orders/20-RD12H"),
        ("GET", "/resellers/v6/orders/search"),
        ("POST", SEARCH),
        ("GET", "/nowhere"),
    ):
        response = await api.http.request(method, path, params=CUSTOMER, headers=api.headers)
        assert response.status_code == 404, path
        assert "fault" in response.json()


async def test_both_styles_parse_to_the_same_orders(make_sandbox: Factory):
    running = await make_sandbox(response_style="alternate")
    async with httpx.AsyncClient(base_url=running.url) as http:
        api = Api(http, await get_token(http))
        sample = await api.search(customerordernumber="CUSTPO")
        table = await api.search(customerordernumber="CUSTPO")
    s, t = sample.json(), table.json()
    # The sample's layout: misspelled container, search response beside it, counts as strings,
    # order-level links as one object.
    assert set(s) == {"servicerresponse", "ordesearchresponse"}
    assert s["servicerresponse"]["responsepreamble"] == {
        "requeststatus": "SUCCESS",
        "returnmessage": "Data found",
    }
    assert s["ordesearchresponse"]["ordersfound"] == "3"
    assert s["ordesearchresponse"]["pagesize"] == "25"
    assert all(isinstance(o["links"], dict) for o in s["ordesearchresponse"]["orders"])
    # The field table's layout.
    assert set(t) == {"serviceresponse"}
    assert t["serviceresponse"]["responsepreamble"]["returnmessage"] == "3 Records Found."
    result = t["serviceresponse"]["ordesearchresponse"]
    assert result["ordersfound"] == 3 and result["pagenumber"] == 1
    assert all(isinstance(o["links"], list) for o in result["orders"])
    for orders in (s["ordesearchresponse"]["orders"], result["orders"]):
        subs = [x for o in orders for x in o.get("suborders", [])]
        assert subs and all(isinstance(x["links"], list) for x in subs)
    from_sample, from_table = parse_search_response(s), parse_search_response(t)
    assert from_sample.orders == from_table.orders
    assert (from_sample.ordersfound, from_sample.pagesize, from_sample.pagenumber) == (3, 25, 1)
    assert (from_table.ordersfound, from_table.pagesize, from_table.pagenumber) == (3, 25, 1)
    assert parse_search_response(sample.content).ordersfound == 3


async def test_link_only_entries(api: Api):
    response = await api.search(customerordernumber="CUSTPO")
    orders = response.json()["serviceresponse"]["ordesearchresponse"]["orders"]
    link_only = [o for o in orders if "ordernumber" not in o]
    assert link_only == [
        {
            "links": [
                {
                    "topic": "orders",
                    "href": "/resellers/v5/orders/20-LNK01?customerNumber=20-123456"
                    "&isoCountryCode=UK",
                    "type": "GET",
                }
            ]
        }
    ]
    parsed = parse_search_response(response.json())
    lnk = next(o for o in parsed.orders if o.ordernumber == "20-LNK01")
    assert not lnk.details
    full = await api.find("20-LNK01")
    assert full["ordernumber"] == "20-LNK01" and full["suborders"]


async def test_invoiced_suborders_have_an_invoice_link(api: Api):
    order = await api.find("20-INV01")
    topics = [[link["topic"] for link in s["links"]] for s in order["suborders"]]
    assert topics == [["orders", "invoices"], ["orders", "invoices"]]
