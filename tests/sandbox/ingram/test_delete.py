"""The Ingram sandbox's order delete over real loopback: every preamble outcome of the spec.

Each of the delete spec's "Recommended Tests" has a test here (marked "spec:"), with raw httpx.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ingram.models import DeleteOutcome
from bot.ingram.parsing import parse_delete_response
from bot.sandbox.ingram import OTHER_CUSTOMER, SANDBOX_CUSTOMER, RunningSandbox
from tests.sandbox.ingram.helpers import CUSTOMER, ORDERS, RATE_HEADERS, Api, entry_date, preamble


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
