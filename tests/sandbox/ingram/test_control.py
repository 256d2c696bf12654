"""The Ingram sandbox's JSON control API, ``run_sandbox`` and a bulk data set, over loopback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.ingram.parsing import parse_delete_response, parse_search_response
from bot.sandbox.ingram import (
    RunningSandbox,
    SandboxState,
    build_bulk,
    run_sandbox,
    start_sandbox,
)
from tests.sandbox.ingram.helpers import (
    CUSTOMER,
    DELETE_CUSTOMER,
    DELETE_HEADERS,
    GOOD_FORM,
    SEARCH,
    START,
    TOKEN_PATH,
    get_token,
)


@pytest_asyncio.fixture
async def running() -> AsyncIterator[RunningSandbox]:
    sandbox = await start_sandbox(SandboxState(clock=ManualClock(START)), port=0)
    yield sandbox
    await sandbox.stop()


@pytest_asyncio.fixture
async def http(running: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
        client.headers["Authorization"] = f"Bearer {await get_token(client)}"
        yield client


async def search(http: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await http.get(SEARCH, params={**CUSTOMER, **params})


async def test_state(running: RunningSandbox, http: httpx.AsyncClient):
    await search(http, ordernumber="20-RD12H")
    state = (await http.get("/_sandbox/state")).json()
    assert state["clock"] == "2026-03-04T10:00:00Z"
    assert state["counters"] == {
        "token_requests": 1,
        "search_calls": 1,
        "delete_calls": 0,
        "rate_limited": 0,
        "requests": 2,
    }
    assert state["style"] == "alternate" and state["approved"] is True
    assert state["faults"] == [] and state["scenario"] is None
    assert state["rate"]["limit"] == 60 and state["rate"]["used"] == 1
    assert state["orders"] == running.state.order_count


async def test_faults_by_json(running: RunningSandbox, http: httpx.AsyncClient):
    fault = {"method": "DELETE", "preamble": "technical_error", "times": 2}
    response = await http.post("/_sandbox/faults", json=fault)
    assert response.status_code == 200
    await http.post("/_sandbox/faults", json={"status": 503, "path": "/orders/search"})
    listed = (await http.get("/_sandbox/state")).json()["faults"]
    assert [(f["preamble"], f["remaining"]) for f in listed] == [("technical_error", 2), (None, 1)]
    assert (await search(http, ordernumber="20-RD12H")).status_code == 503
    entry = running.state.order("20-11852").entrytimestamp.date().isoformat()
    deleted = await http.delete(
        "/resellers/v5/orders/20-11852",
        params={**DELETE_CUSTOMER, "entryDate": entry},
        headers=DELETE_HEADERS,
    )
    message = parse_delete_response("20-11852", deleted.content).message  # either layout
    assert message == "Technical error occurred ,please contact support team"
    assert (await http.delete("/_sandbox/faults")).status_code == 200
    assert len(running.state.faults) == 0


async def test_a_short_page_by_json(http: httpx.AsyncClient):
    """An empty or short page before the end of a result: ordersfound stays as it was."""
    response = await http.post("/_sandbox/faults", json={"short": 2, "path": "/orders/search"})
    assert response.json()["fault"]["short"] == 2
    window = {"startcreatetimestamp": "2000-01-01T00:00:00Z", "pagesize": 10}
    page = parse_search_response((await search(http, **window)).content)
    assert len(page.orders) == 2 and page.ordersfound > 10
    whole = parse_search_response((await search(http, **window)).content)
    assert len(whole.orders) == 10 and whole.ordersfound == page.ordersfound
    await http.post("/_sandbox/faults", json={"short": 0, "path": "/orders/search"})
    empty = parse_search_response((await search(http, **window, pagenumber=2)).content)
    assert empty.orders == ()


@pytest.mark.parametrize(
    "body",
    [
        {"preamble": "nonsense"},
        {"status": 999},
        {"colour": "red"},
        {"delay": "slow"},
        {"short": -1},
        [1, 2],
    ],
)
async def test_bad_faults_are_400(http: httpx.AsyncClient, body: Any):
    response = await http.post("/_sandbox/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


async def test_latency_and_approval(running: RunningSandbox, http: httpx.AsyncClient):
    assert (await http.post("/_sandbox/latency", json={"seconds": 0.05})).status_code == 200
    assert running.state.latency == 0.05
    assert (await http.post("/_sandbox/latency", json={"seconds": -1})).status_code == 400
    assert (await http.post("/_sandbox/approved", json={"approved": False})).status_code == 200
    response = await search(http, ordernumber="20-RD12H")
    assert response.status_code == 401
    assert "apiproduct" in response.json()["fault"]["faultstring"]
    await http.post("/_sandbox/approved", json={"approved": True})
    assert (await search(http, ordernumber="20-RD12H")).status_code == 200
    assert (await http.post("/_sandbox/approved", json={"approved": "no"})).status_code == 400


async def test_style_and_token_expiry(running: RunningSandbox, http: httpx.AsyncClient):
    await http.post("/_sandbox/style", json={"style": "sample"})
    for _ in range(2):
        assert "servicerresponse" in (await search(http, ordernumber="20-RD12H")).json()
    assert (await http.post("/_sandbox/style", json={"style": "odd"})).status_code == 400
    await http.post("/_sandbox/tokens/expire")
    response = await search(http, ordernumber="20-RD12H")
    assert response.json()["fault"]["faultstring"] == "Access Token expired"


async def test_set_suborder(http: httpx.AsyncClient):
    response = await http.post(
        "/_sandbox/suborders/20-RD12H-21", json={"statuscode": "C", "holdreasoncode": "C3"}
    )
    assert response.json()["suborder"] == {
        "subordernumber": "20-RD12H-21",
        "statuscode": "C",
        "status": "CREDIT HOLD",
        "holdreasoncode": "C3",
        "holdreason": "CREDIT HOLD",
    }
    order = parse_search_response((await search(http, ordernumber="20-RD12H")).json()).orders[0]
    assert order.suborder("20-RD12H-21").holdreasoncode == "C3"
    missing = await http.post("/_sandbox/suborders/20-NOPE-11", json={"statuscode": "C"})
    assert missing.status_code == 404
    bad = await http.post("/_sandbox/suborders/20-RD12H-21", json={"statuscode": "Q"})
    assert bad.status_code == 400
    bad = await http.post("/_sandbox/suborders/20-RD12H-21", json={"colour": "red"})
    assert bad.status_code == 400


async def test_add_order(running: RunningSandbox, http: httpx.AsyncClient):
    order = {
        "ordernumber": "20-ctl01",
        "entrytimestamp": "2026-03-04T09:00:00Z",
        "customerordernumber": "CTL-PO",
        "suborders": [{"statuscode": "O", "holdreasoncode": "IM"}, {}],
    }
    response = await http.post("/_sandbox/orders", json=order)
    assert response.status_code == 200, response.text
    stored = response.json()["order"]
    assert stored["customernumber"] == "20-123456" and stored["country"] == "UK"
    assert [s["subordernumber"] for s in stored["suborders"]] == ["20-CTL01-11", "20-CTL01-21"]
    page = parse_search_response((await search(http, customerordernumber="CTL-PO")).json())
    assert page.orders[0].ordernumber == "20-CTL01"
    assert page.orders[0].suborders[0].hold_text == "CUSTOMER HOLD"
    shown = (await http.get("/_sandbox/orders/20-CTL01")).json()
    assert shown["entrytimestamp"] == "2026-03-04T09:00:00Z"
    assert (await http.get("/_sandbox/orders/20-NOPE")).status_code == 404
    bad = await http.post("/_sandbox/orders", json={"ordernumber": "20-X", "suborders": "no"})
    assert bad.status_code == 400
    bad = await http.post("/_sandbox/orders", content=b"{not json", headers={"Content-Type": "x"})
    assert bad.status_code == 400


async def test_unknown_control_endpoint(http: httpx.AsyncClient):
    assert (await http.get("/_sandbox/nothing")).status_code == 404


async def test_run_sandbox_prints_how_to_use_it(capsys: pytest.CaptureFixture[str]):
    task = asyncio.create_task(run_sandbox("127.0.0.1", 0, scenario=True))
    try:
        line = ""
        for _ in range(500):
            await asyncio.sleep(0.01)
            line += capsys.readouterr().out
            if line:
                break
        assert line.count("\n") == 1
        match = re.search(r"INGRAM_BASE_URL=(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        for part in (
            "INGRAM_SANDBOX=1",
            "INGRAM_CLIENT_ID=orderbot-sandbox",
            "INGRAM_CLIENT_SECRET=sandbox-secret",
            "INGRAM_CUSTOMER_NUMBER=20-123456",
            "INGRAM_COUNTRY=UK",
        ):
            assert part in line
        async with httpx.AsyncClient(base_url=match.group(1)) as http:
            assert (await http.post(TOKEN_PATH, data=GOOD_FORM)).status_code == 200
            state = (await http.get("/_sandbox/state")).json()
            assert state["scenario"]["loop"] is True
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_bulk_data_set_answers_page_searches():
    """100,000 suborders build, load and answer paged and windowed searches (no timing)."""
    now = START
    orders = build_bulk(now, 100_000)
    assert sum(len(o.suborders) for o in orders) == 100_000
    state = SandboxState(clock=ManualClock(now), orders=orders, response_style="table")
    assert state.suborder_count == 100_000
    async with (
        await start_sandbox(state, port=0) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as http,
    ):
        http.headers["Authorization"] = f"Bearer {await get_token(http)}"
        page = parse_search_response((await search(http, pagesize=100, pagenumber=3)).json())
        assert page.ordersfound == len(orders) and len(page.orders) == 100
        last = parse_search_response(
            (await search(http, pagesize=100, pagenumber=page.pages)).json()
        )
        assert 0 < len(last.orders) <= 100
        start = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        recent = parse_search_response(
            (await search(http, startcreatetimestamp=start, pagesize=100)).json()
        )
        assert 0 < recent.ordersfound < len(orders)
        assert all(o.entrytimestamp >= now - timedelta(days=1) for o in recent.orders)
        held = parse_search_response((await search(http, orderstatus="C", pagesize=100)).json())
        assert held.ordersfound > 0
        assert all(s.statuscode == "C" for o in held.orders for s in o.suborders)
