"""The Ingram sandbox's order delete over real loopback: every preamble outcome of the spec.

Each of the delete spec's "Recommended Tests" has a test here (marked "spec:"), with raw httpx.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.ingram.models import DeleteOutcome
from bot.ingram.parsing import parse_delete_response
from bot.sandbox.ingram import OTHER_CUSTOMER, SANDBOX_CUSTOMER, RunningSandbox
from tests.sandbox.ingram.helpers import (
    DELETE_CUSTOMER,
    DELETE_HEADERS,
    ORDERS,
    RATE_HEADERS,
    Api,
    Factory,
    entry_date,
    get_token,
    preamble,
)


async def test_spec_delete_a_valid_order(sandbox: RunningSandbox, api: Api):
    """spec: Delete a valid sales order (on customer hold, as placed with placeoncustomerhold)."""
    before = await api.find("20-11852")
    assert {s["holdreasoncode"] for s in before["suborders"]} == {"IM"}
    response = await api.delete("20-11852", entryDate=entry_date(sandbox, "20-11852"))
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


async def test_delete_in_the_layout_of_ingrams_openapi_sample(make_sandbox: Factory):
    """The delete sample of Ingram's OpenAPI document (ingram-v5-evidence.md): the preamble
    in camelCase, the code a string, "00" for success and "1" for an unknown order."""
    running = await make_sandbox(response_style="sample")
    async with httpx.AsyncClient(base_url=running.url) as http:
        api = Api(http, await get_token(http))
        deleted = await api.delete("20-11852", entryDate=entry_date(running, "20-11852"))
        missing = await api.delete("20-NOSUCH", entryDate="2026-03-01")
    assert preamble(deleted) == {
        "requestStatus": "SUCCESS",
        "returnCode": "00",
        "returnMessage": "Order Deleted Successfully for OrderNumber 20-11852",
    }
    assert preamble(missing) == {
        "requestStatus": "FAILED",
        "returnCode": "1",
        "returnMessage": "OrderDelete Failed as the OrderNumber does not exists",
    }


async def test_alternating_layouts_alternate_deletes_apart_from_searches(make_sandbox: Factory):
    running = await make_sandbox(response_style="alternate")
    async with httpx.AsyncClient(base_url=running.url) as http:
        api = Api(http, await get_token(http))
        await api.search(ordernumber="20-RD12H")
        first = await api.delete("20-NOSUCH", entryDate="2026-03-01")
        second = await api.delete("20-NOSUCH", entryDate="2026-03-01")
    assert "requestStatus" in preamble(first) and "responsestatus" in preamble(second)


async def test_spec_delete_an_already_deleted_order(sandbox: RunningSandbox, api: Api):
    """spec: Delete a valid sales order that has already been deleted."""
    expected = {
        "responsestatus": "FAILED",
        "statuscode": "406",
        "responsemessage": "OrderDelete Failed as the OrderNumber is already deleted",
    }
    response = await api.delete("20-DEL01", entryDate=entry_date(sandbox, "20-DEL01"))
    assert preamble(response) == expected
    date = entry_date(sandbox, "20-SH001")
    assert preamble(await api.delete("20-SH001", entryDate=date))["responsestatus"] == "SUCCESS"
    second = await api.delete("20-SH001", entryDate=date)
    assert preamble(second) == expected
    result = parse_delete_response("20-SH001", second.content)
    assert result.outcome is DeleteOutcome.ALREADY_DELETED


@pytest.mark.parametrize("number", ["20-REL01", "20-INV01", "20-RD47K"])
async def test_spec_delete_an_order_that_cannot_be_deleted(
    sandbox: RunningSandbox, api: Api, number: str
):
    """spec: Delete a valid sales order that cannot be deleted (released or shipped)."""
    before = await api.find(number)
    response = await api.delete(number, entryDate=entry_date(sandbox, number))
    pre = preamble(response)
    assert (pre["responsestatus"], pre["statuscode"]) == ("FAILED", "406")
    assert "ABEND OCCURED" in pre["responsemessage"]
    assert parse_delete_response(number, response.content).outcome is DeleteOutcome.FAILED
    assert await api.find(number) == before


async def test_spec_delete_with_an_invalid_entry_date(sandbox: RunningSandbox, api: Api):
    """spec: Supply an invalid entry date: malformed is a 400, another day is "not found"."""
    for bad in ("2026/03/01", "01-03-2026", "2026-02-30", "20260301", "2026-03-01T00:00:00Z"):
        response = await api.delete("20-11852", entryDate=bad)
        assert response.status_code == 400, bad
        assert preamble(response)["responsestatus"] == "FAILED"
    real = sandbox.state.order("20-11852").entrytimestamp.date()
    wrong = (real - timedelta(days=1)).isoformat()
    response = await api.delete("20-11852", entryDate=wrong)
    assert preamble(response) == {
        "responsestatus": "FAILED",
        "statuscode": "1",
        "responsemessage": "OrderDelete Failed as the OrderNumber does not exists",
    }
    assert sandbox.state.order("20-11852").suborders[0].statuscode != "V"


async def test_spec_delete_an_invalid_order_number(sandbox: RunningSandbox, api: Api):
    """spec: Supply an invalid order number (unknown, or another customer's order)."""
    response = await api.delete("20-NOSUCH", entryDate="2026-03-01")
    assert preamble(response)["statuscode"] == "1"
    other = await api.delete("20-XC001", entryDate=entry_date(sandbox, "20-XC001"))
    assert preamble(other)["statuscode"] == "1"
    as_other = await api.delete(
        "20-XC001", customerNumber=OTHER_CUSTOMER, entryDate=entry_date(sandbox, "20-XC001")
    )
    assert preamble(as_other)["responsestatus"] == "SUCCESS"  # its own customer may
    result = parse_delete_response("20-NOSUCH", response.content)
    assert result.outcome is DeleteOutcome.NOT_FOUND


@pytest.mark.parametrize("missing", ["customerNumber", "isoCountryCode", "entryDate"])
async def test_delete_parameters_are_mandatory(sandbox: RunningSandbox, api: Api, missing: str):
    params = {**DELETE_CUSTOMER, "entryDate": entry_date(sandbox, "20-11852")}
    del params[missing]
    response = await api.http.delete(
        f"{ORDERS}/20-11852", params=params, headers={**api.headers, **DELETE_HEADERS}
    )
    assert response.status_code == 400
    assert missing in preamble(response)["responsemessage"]


@pytest.mark.parametrize(
    "names",
    [
        ("customernumber", "isoCountryCode", "entryDate"),
        ("customerNumber", "isocountrycode", "entryDate"),
        ("customerNumber", "isoCountryCode", "entrydate"),
    ],
)
async def test_delete_parameter_names_are_matched_exactly(
    sandbox: RunningSandbox, api: Api, names: tuple[str, str, str]
):
    values = (SANDBOX_CUSTOMER, "UK", entry_date(sandbox, "20-11852"))
    response = await api.http.delete(
        f"{ORDERS}/20-11852",
        params=dict(zip(names, values, strict=True)),
        headers={**api.headers, **DELETE_HEADERS},
    )
    assert response.status_code == 400
    assert preamble(response)["responsestatus"] == "FAILED"
    assert "required" in preamble(response)["responsemessage"]
    assert {s.statuscode for s in sandbox.state.order("20-11852").suborders} == {"O"}


@pytest.mark.parametrize("content_type", [None, "text/plain"])
async def test_a_delete_without_a_json_content_type_is_refused(
    sandbox: RunningSandbox, api: Api, content_type: str | None
):
    """The delete spec lists Content-Type: application/json among the request's headers."""
    headers = dict(api.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await api.http.delete(
        f"{ORDERS}/20-11852",
        params={**DELETE_CUSTOMER, "entryDate": entry_date(sandbox, "20-11852")},
        headers=headers,
    )
    assert response.status_code == 400
    assert "Content-Type must be application/json" in preamble(response)["responsemessage"]
    assert {s.statuscode for s in sandbox.state.order("20-11852").suborders} == {"O"}


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
        f"/sandbox{ORDERS}/20-11852", params=params, headers={**api.headers, **DELETE_HEADERS}
    )
    assert preamble(response)["responsestatus"] == "SUCCESS"
