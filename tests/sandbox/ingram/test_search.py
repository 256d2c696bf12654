"""The Ingram Micro sandbox over real loopback: token, auth, search, delete, response shapes.

Each of the specs' "Recommended Tests" has a test here (marked "spec:"), run with raw httpx
against the emulator so that what is checked is the wire format, not a client's reading of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.ingram.models import DeleteOutcome
from bot.ingram.parsing import parse_delete_response, parse_search_response
from bot.sandbox.ingram import (
    OTHER_CUSTOMER,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    RunningSandbox,
    SandboxState,
    SeedOrder,
    build_seed,
    start_sandbox,
    sub,
)

START = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
TOKEN_PATH = "/oauth/oauth30/token"
SEARCH = "/resellers/v5/orders/search"
ORDERS = "/resellers/v5/orders"
CUSTOMER = {"customernumber": SANDBOX_CUSTOMER, "isocountrycode": SANDBOX_COUNTRY}
GOOD_FORM = {
    "grant_type": "client_credentials",
    "client_id": SANDBOX_CLIENT_ID,
    "client_secret": SANDBOX_CLIENT_SECRET,
}
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")

Factory = Callable[..., Awaitable[RunningSandbox]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest_asyncio.fixture
async def make_sandbox(clock: ManualClock) -> AsyncIterator[Factory]:
    """Start sandboxes (stopped at the end); keyword arguments go to ``SandboxState``."""
    started: list[RunningSandbox] = []

    async def make(**options: Any) -> RunningSandbox:
        options.setdefault("clock", clock)
        running = await start_sandbox(SandboxState(**options), port=0)
        started.append(running)
        return running

    yield make
    for running in started:
        await running.stop()


@pytest_asyncio.fixture
async def sandbox(make_sandbox: Factory) -> RunningSandbox:
    return await make_sandbox(response_style="table")


@pytest_asyncio.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as client:
        yield client


async def get_token(http: httpx.AsyncClient) -> str:
    response = await http.post(TOKEN_PATH, data=GOOD_FORM)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class Api:
    """Raw calls with a bearer token; the customer's parameters are added unless given."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    async def search(self, prefix: str = "", **params: Any) -> httpx.Response:
        query = {**CUSTOMER, **params}
        return await self.http.get(f"{prefix}{SEARCH}", params=query, headers=self.headers)

    async def delete(self, number: str, prefix: str = "", **params: Any) -> httpx.Response:
        return await self.http.delete(
            f"{prefix}{ORDERS}/{number}", params={**CUSTOMER, **params}, headers=self.headers
        )

    async def find(self, number: str) -> dict[str, Any]:
        """The full JSON of one order (table layout assumed)."""
        response = await self.search(ordernumber=number)
        assert response.status_code == 200
        orders = response.json()["serviceresponse"]["ordesearchresponse"]["orders"]
        assert len(orders) == 1
        return orders[0]


@pytest_asyncio.fixture
async def api(http: httpx.AsyncClient) -> Api:
    return Api(http, await get_token(http))


def entry_date(sandbox: RunningSandbox, number: str) -> str:
    order = sandbox.state.order(number)
    assert order is not None
    return order.entrytimestamp.date().isoformat()


def preamble(response: httpx.Response) -> dict[str, Any]:
    data = response.json()
    service = data.get("serviceresponse") or data.get("servicerresponse")
    return service["responsepreamble"]


# --- token -------------------------------------------------------------------------------------


async def test_token_issued_as_the_spec_shows(sandbox: RunningSandbox, http: httpx.AsyncClient):
    response = await http.post(TOKEN_PATH, data=GOOD_FORM)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "86399"  # a string, as in the spec's sample
    assert len(body["access_token"]) == 28 and body["access_token"].isalnum()
    assert sandbox.state.counters.token_requests == 1
    assert "x-ratelimit-limit" not in response.headers  # token calls are not rate limited


async def test_token_bad_credentials_401(http: httpx.AsyncClient):
    for form in (
        {**GOOD_FORM, "client_secret": "wrong"},
        {**GOOD_FORM, "client_id": "someone-else"},
        {"grant_type": "client_credentials"},
    ):
        response = await http.post(TOKEN_PATH, data=form)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert "wrong" not in response.text


async def test_token_grant_type_must_be_client_credentials(http: httpx.AsyncClient):
    missing = {k: v for k, v in GOOD_FORM.items() if k != "grant_type"}
    assert (await http.post(TOKEN_PATH, data=missing)).status_code == 400
    response = await http.post(TOKEN_PATH, data={**GOOD_FORM, "grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_token_by_basic_auth(http: httpx.AsyncClient):
    response = await http.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
    )
    assert response.status_code == 200


async def test_token_expires_by_the_clock(make_sandbox: Factory, clock: ManualClock):
    running = await make_sandbox(token_ttl=100)
    async with httpx.AsyncClient(base_url=running.url) as http:
        body = (await http.post(TOKEN_PATH, data=GOOD_FORM)).json()
        assert body["expires_in"] == "100"
        api = Api(http, body["access_token"])
        clock.advance(99)
        assert (await api.search(ordernumber="20-RD12H")).status_code == 200
        clock.advance(1)
        response = await api.search(ordernumber="20-RD12H")
        assert response.status_code == 401
        assert response.json() == {
            "fault": {
                "faultstring": "Access Token expired",
                "detail": {"errorcode": "keymanagement.service.access_token_expired"},
            }
        }
        api.token = await get_token(http)
        assert (await api.search(ordernumber="20-RD12H")).status_code == 200


async def test_expire_tokens(sandbox: RunningSandbox, api: Api):
    assert (await api.search(ordernumber="20-RD12H")).status_code == 200
    sandbox.state.expire_tokens()
    response = await api.search(ordernumber="20-RD12H")
    assert response.status_code == 401
    assert response.json()["fault"]["faultstring"] == "Access Token expired"


# --- API auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc", "Bearer"])
async def test_spec_invalid_access_token_401(http: httpx.AsyncClient, header: str | None):
    """spec (lookup and delete): Invalid Access token."""
    headers = {"Authorization": header} if header is not None else {}
    invalid = {
        "fault": {
            "faultstring": "Invalid Access Token",
            "detail": {"errorcode": "keymanagement.service.invalid_access_token"},
        }
    }
    search = await http.get(SEARCH, params={**CUSTOMER, "ordernumber": "20-RD12H"}, headers=headers)
    assert search.status_code == 401
    assert search.json() == invalid
    assert all(h in search.headers for h in RATE_HEADERS)
    delete = await http.delete(
        f"{ORDERS}/20-11852", params={**CUSTOMER, "entrydate": "2026-03-03"}, headers=headers
    )
    assert delete.status_code == 401
    assert delete.json() == invalid


async def test_not_approved_api_product_401(make_sandbox: Factory):
    running = await make_sandbox(api_product_approved=False)
    async with httpx.AsyncClient(base_url=running.url) as http:
        api = Api(http, await get_token(http))
        response = await api.search(ordernumber="20-RD12H")
        assert response.status_code == 401
        assert response.json() == {
            "fault": {
                "faultstring": "Invalid API call as no apiproduct match found",
                "detail": {
                    "errorcode": "keymanagement.service.InvalidAPICallAsNoApiProductMatchFound"
                },
            }
        }


# --- search ------------------------------------------------------------------------------------


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
    other = await api.search(customernumber="20-999999")
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
        ({"customernumber": ""}, 400),
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


async def test_query_parameter_names_are_case_insensitive(api: Api):
    params = {"CustomerNumber": SANDBOX_CUSTOMER, "ISOCOUNTRYCODE": "uk", "OrderNumber": "20-RD12H"}
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


# --- delete ------------------------------------------------------------------------------------


async def test_spec_delete_a_valid_order(sandbox: RunningSandbox, api: Api):
    """spec: Delete a valid sales order (on customer hold, as placed with placeoncustomerhold)."""
    before = await api.find("20-11852")
    assert {s["holdreasoncode"] for s in before["suborders"]} == {"IM"}
    response = await api.delete("20-11852", entrydate=entry_date(sandbox, "20-11852"))
    assert response.status_code == 200
    assert response.json() == {
        "serviceresponse": {
            "responsepreamble": {
                "responsestatus": "SUCCESS",
                "statuscode": 200,
                "responsemessage": "Order Deleted Successfully for OrderNumber 20-11852",
            }
        }
    }
    assert all(h in response.headers for h in RATE_HEADERS)
    assert parse_delete_response("20-11852", response.content).outcome is DeleteOutcome.DELETED
    after = await api.find("20-11852")
    for s in after["suborders"]:
        assert (s["statuscode"], s["status"], s["holdreasoncode"], s["holdreason"]) == (
            "V",
            "DELETED ORDER",
            "VO",
            "DELETED ORDER",
        )
    assert sandbox.state.counters.delete_calls == 1


async def test_spec_delete_an_already_deleted_order(sandbox: RunningSandbox, api: Api):
    """spec: Delete a valid sales order that has already been deleted."""
    expected = {
        "responsestatus": "FAILED",
        "statuscode": "406",
        "responsemessage": "OrderDelete Failed as the OrderNumber is already deleted",
    }
    response = await api.delete("20-DEL01", entrydate=entry_date(sandbox, "20-DEL01"))
    assert preamble(response) == expected
    date = entry_date(sandbox, "20-SH001")
    assert preamble(await api.delete("20-SH001", entrydate=date))["responsestatus"] == "SUCCESS"
    second = await api.delete("20-SH001", entrydate=date)
    assert preamble(second) == expected
    result = parse_delete_response("20-SH001", second.content)
    assert result.outcome is DeleteOutcome.ALREADY_DELETED


@pytest.mark.parametrize("number", ["20-REL01", "20-INV01", "20-RD47K"])
async def test_spec_delete_an_order_that_cannot_be_deleted(
    sandbox: RunningSandbox, api: Api, number: str
):
    """spec: Delete a valid sales order that cannot be deleted (released or shipped)."""
    before = await api.find(number)
    response = await api.delete(number, entrydate=entry_date(sandbox, number))
    pre = preamble(response)
    assert (pre["responsestatus"], pre["statuscode"]) == ("FAILED", "406")
    assert "ABEND OCCURED" in pre["responsemessage"]
    assert parse_delete_response(number, response.content).outcome is DeleteOutcome.FAILED
    assert await api.find(number) == before


async def test_spec_delete_with_an_invalid_entry_date(sandbox: RunningSandbox, api: Api):
    """spec: Supply an invalid entry date: malformed is a 400, another day is "not found"."""
    for bad in ("2026/03/01", "01-03-2026", "2026-02-30", "20260301", "2026-03-01T00:00:00Z"):
        response = await api.delete("20-11852", entrydate=bad)
        assert response.status_code == 400, bad
        assert preamble(response)["responsestatus"] == "FAILED"
    real = sandbox.state.order("20-11852").entrytimestamp.date()
    wrong = (real - timedelta(days=1)).isoformat()
    response = await api.delete("20-11852", entrydate=wrong)
    assert preamble(response) == {
        "responsestatus": "FAILED",
        "statuscode": "1",
        "responsemessage": "OrderDelete Failed as the OrderNumber does not exists",
    }
    assert sandbox.state.order("20-11852").suborders[0].statuscode != "V"


async def test_spec_delete_an_invalid_order_number(sandbox: RunningSandbox, api: Api):
    """spec: Supply an invalid order number (unknown, or another customer's order)."""
    response = await api.delete("20-NOSUCH", entrydate="2026-03-01")
    assert preamble(response)["statuscode"] == "1"
    other = await api.delete("20-XC001", entrydate=entry_date(sandbox, "20-XC001"))
    assert preamble(other)["statuscode"] == "1"
    as_other = await api.delete(
        "20-XC001", customernumber=OTHER_CUSTOMER, entrydate=entry_date(sandbox, "20-XC001")
    )
    assert preamble(as_other)["responsestatus"] == "SUCCESS"  # its own customer may
    result = parse_delete_response("20-NOSUCH", response.content)
    assert result.outcome is DeleteOutcome.NOT_FOUND


@pytest.mark.parametrize("missing", ["customernumber", "isocountrycode", "entrydate"])
async def test_delete_parameters_are_mandatory(sandbox: RunningSandbox, api: Api, missing: str):
    params = {**CUSTOMER, "entrydate": entry_date(sandbox, "20-11852")}
    del params[missing]
    response = await api.http.delete(f"{ORDERS}/20-11852", params=params, headers=api.headers)
    assert response.status_code == 400
    assert missing in preamble(response)["responsemessage"]


async def test_delete_under_sandbox_prefix_with_spec_parameter_names(
    sandbox: RunningSandbox, api: Api
):
    # The spec's sample request: isoCountryCode, customerNumber, entryDate.
    params = {
        "isoCountryCode": "UK",
        "customerNumber": SANDBOX_CUSTOMER,
        "entryDate": entry_date(sandbox, "20-11852"),
    }
    response = await api.http.delete(
        f"/sandbox{ORDERS}/20-11852", params=params, headers=api.headers
    )
    assert preamble(response)["responsestatus"] == "SUCCESS"


async def test_added_orders_are_searchable_and_deletable(sandbox: RunningSandbox, api: Api):
    when = START - timedelta(hours=2)
    order = SeedOrder("20-NEW01", SANDBOX_CUSTOMER, "UK", when, "NEW-PO", [sub("20-NEW01-11")])
    sandbox.state.add_order(order)
    page = parse_search_response((await api.search(customerordernumber="NEW-PO")).json())
    assert [o.ordernumber for o in page.orders] == ["20-NEW01"]
    latest = parse_search_response((await api.search(startcreatetimestamp=when.isoformat())).json())
    assert "20-NEW01" in {o.ordernumber for o in latest.orders}
    response = await api.delete("20-NEW01", entrydate=when.date().isoformat())
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
    await api.delete("20-NOSUCH", entrydate="2026-03-01")
    recorded = sandbox.state.counters.requests
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", TOKEN_PATH, 200),
        ("GET", SEARCH, 200),
        ("DELETE", f"{ORDERS}/20-NOSUCH", 200),
    ]
    assert recorded[1].query["ordernumber"] == "20-RD12H"
    assert recorded[0].query == {}  # the token form (and its secret) is not kept
    assert sandbox.state.search_calls == 1 and sandbox.state.delete_calls == 1
