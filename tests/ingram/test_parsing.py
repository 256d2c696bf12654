"""Parsing accepts every response shape the specs show, starting with their literal samples."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingram.codes import DELETE_PREAMBLES
from bot.ingram.errors import ResponseFormatError
from bot.ingram.models import DeleteOutcome
from bot.ingram.parsing import (
    loads_lenient,
    parse_delete_response,
    parse_links,
    parse_search_response,
)

FIXTURES = Path(__file__).parent / "fixtures"
LOOKUP_SAMPLE = (FIXTURES / "lookup_sample_response.txt").read_text()
LOOKUP_TRAILER = (FIXTURES / "lookup_sample_trailer.txt").read_text()
DELETE_SAMPLE = (FIXTURES / "delete_sample_response.txt").read_text()


def test_the_lookup_sample_is_not_json_but_parses() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(LOOKUP_SAMPLE)
    page = parse_search_response(LOOKUP_SAMPLE)
    assert page.requeststatus == "SUCCESS"
    assert page.returnmessage == "Data found"
    assert (page.ordersfound, page.pagesize, page.pagenumber) == (3, 1, 1)
    full, link_only = page.orders
    assert full.ordernumber == "20-RD12H"
    assert full.entrytimestamp == datetime(2020, 4, 4, 14, 28, 18, tzinfo=UTC)
    assert full.entrydate.isoformat() == "2020-04-04"
    assert full.customerordernumber == "CUSTPO"
    (sub,) = full.suborders
    assert sub.subordernumber == "20-RD12H-11"
    assert (sub.statuscode, sub.status) == ("C", "CREDIT HOLD")
    assert (sub.holdreasoncode, sub.holdreason) == ("CH", "HARD-9 CUST NOT FLOOR ORD")
    assert sub.on_hold
    assert sub.links[0].href.startswith("/resellers/v5/orders/20-RD12H-11")
    assert link_only.ordernumber == "20-RD12H"
    assert not link_only.details
    assert link_only.suborders == ()
    assert link_only.links[0].type == "GET"


def test_the_lookup_sample_with_its_stray_closing_braces_parses() -> None:
    page = parse_search_response(LOOKUP_SAMPLE + "\n" + LOOKUP_TRAILER)
    assert [o.ordernumber for o in page.orders] == ["20-RD12H", "20-RD12H"]


def test_the_delete_sample_parses_as_deleted() -> None:
    result = parse_delete_response("20-11852", DELETE_SAMPLE)
    assert result.outcome is DeleteOutcome.DELETED
    assert result.statuscode == "200"
    assert result.ok


def _field_table_shape(**overrides: object) -> dict:
    body = {
        "serviceresponse": {
            "responsepreamble": {"requeststatus": "SUCCESS", "returnmessage": "2 Records Found."},
            "ordesearchresponse": {
                "ordersfound": 2,
                "pagesize": 25,
                "pagenumber": 1,
                "orders": [
                    {
                        "ordernumber": "20-AAAAA",
                        "entrytimestamp": "2026-11-01T10:00:00Z",
                        "customerordernumber": "PO-1",
                        "suborders": [
                            {
                                "subordernumber": "20-AAAAA-11",
                                "statuscode": "",
                                "status": "",
                                "holdreasoncode": "",
                                "holdreason": "",
                                "links": [],
                            }
                        ],
                        "links": [{"topic": "orders", "href": "/x/20-AAAAA", "type": "GET"}],
                    },
                    {"ordernumber": "20-BBBBB", "suborders": [{"subordernumber": "20-BBBBB-11"}]},
                ],
            },
        }
    }
    body["serviceresponse"]["ordesearchresponse"].update(overrides)
    return body


def test_the_field_table_shape_parses() -> None:
    page = parse_search_response(_field_table_shape())
    assert page.ordersfound == 2
    first, second = page.orders
    assert first.suborders[0].on_hold is False
    assert first.suborders[0].status_text == "In progress/Open order"
    assert first.suborders[0].hold_text == "No hold"
    assert first.links[0].href == "/x/20-AAAAA"
    # Missing optional fields are blanks, not errors.
    assert second.entrytimestamp is None
    assert second.entrydate is None
    assert second.customerordernumber == ""
    assert second.suborders[0].statuscode == ""


@pytest.mark.parametrize("count", ["7", 7, " 7 "])
def test_counts_as_strings_or_numbers(count: object) -> None:
    page = parse_search_response(_field_table_shape(ordersfound=count, pagesize=str(25)))
    assert page.ordersfound == 7
    assert page.pagesize == 25


def test_search_response_beside_the_correctly_spelled_service_response() -> None:
    body = {
        "serviceresponse": {"responsepreamble": {"requeststatus": "SUCCESS", "returnmessage": "x"}},
        "ordesearchresponse": _field_table_shape()["serviceresponse"]["ordesearchresponse"],
    }
    assert len(parse_search_response(body).orders) == 2


def test_links_as_object_or_array() -> None:
    one = {"topic": "orders", "href": "/resellers/v5/orders/20-X", "type": "GET"}
    assert parse_links(one) == parse_links([one])
    assert parse_links(None) == ()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("SUCCESS", "No Data Found for given Search Criteria."),
        ("FAILED", "No data found"),
        ("failed", "No Data Found"),
    ],
)
def test_no_data_found_is_an_empty_result(status: str, message: str) -> None:
    body = {
        "serviceresponse": {"responsepreamble": {"requeststatus": status, "returnmessage": message}}
    }
    page = parse_search_response(body)
    assert page.orders == ()
    assert page.ordersfound == 0


@pytest.mark.parametrize("message", ["Data Found", "Data found", "3 Records Found."])
def test_every_success_preamble_is_accepted(message: str) -> None:
    body = _field_table_shape()
    body["serviceresponse"]["responsepreamble"]["returnmessage"] = message
    assert len(parse_search_response(body).orders) == 2


@pytest.mark.parametrize("message", ["Data found", "1 Records Found.", ""])
def test_a_success_without_a_results_container_is_a_format_error_not_no_orders(
    message: str,
) -> None:
    body = {
        "serviceresponse": {
            "responsepreamble": {"requeststatus": "SUCCESS", "returnmessage": message}
        }
    }
    with pytest.raises(ResponseFormatError, match="no results"):
        parse_search_response(body)


def test_another_failure_is_an_error_with_the_api_message() -> None:
    body = {
        "serviceresponse": {
            "responsepreamble": {"requeststatus": "FAILED", "returnmessage": "Boom"}
        }
    }
    with pytest.raises(ResponseFormatError, match="Boom"):
        parse_search_response(body)


def test_garbage_is_a_readable_error() -> None:
    with pytest.raises(ResponseFormatError, match="not JSON"):
        parse_search_response("<html>gateway error</html>")


def test_trailing_commas_inside_strings_are_kept() -> None:
    assert loads_lenient('{"a": "x,}", "b": [1, 2,],}') == {"a": "x,}", "b": [1, 2]}


def _delete_body(status: str, code: object, message: str) -> dict:
    return {
        "serviceresponse": {
            "responsepreamble": {
                "responsestatus": status,
                "statuscode": code,
                "responsemessage": message,
            }
        }
    }


def _camel_delete_body(status: str, code: object, message: str) -> dict:
    """The layout of the delete sample in Ingram's OpenAPI document (ingram-v5-evidence.md)."""
    return {
        "serviceresponse": {
            "responsepreamble": {
                "requestStatus": status,
                "returnCode": code,
                "returnMessage": message,
            }
        }
    }


def test_the_openapi_sample_of_a_delete_is_deleted() -> None:
    body = _camel_delete_body("SUCCESS", "00", "Order Deleted Successfully")
    result = parse_delete_response("20-11852", body)
    assert (result.outcome, result.message, result.statuscode) == (
        DeleteOutcome.DELETED,
        "Order Deleted Successfully",
        "00",
    )


@pytest.mark.parametrize("code", ["1", 1, "01"])
def test_a_camel_case_return_code_1_is_not_found_not_failed(code: object) -> None:
    message = "OrderDelete Failed as the OrderNumber does not exists"
    result = parse_delete_response("20-NOPE", _camel_delete_body("FAILED", code, message))
    assert result.outcome is DeleteOutcome.NOT_FOUND
    assert result.message == message


def test_camel_case_already_deleted_is_already_deleted() -> None:
    message = "OrderDelete Failed as the OrderNumber is already deleted"
    result = parse_delete_response("20-DEL01", _camel_delete_body("FAILED", "406", message))
    assert result.outcome is DeleteOutcome.ALREADY_DELETED


@pytest.mark.parametrize(
    ("row_index", "outcome"),
    [
        (0, DeleteOutcome.DELETED),
        (1, DeleteOutcome.NOT_FOUND),
        (2, DeleteOutcome.FAILED),
        (3, DeleteOutcome.ALREADY_DELETED),
        (4, DeleteOutcome.FAILED),
        (5, DeleteOutcome.FAILED),
    ],
)
def test_every_delete_preamble_maps_to_its_outcome(row_index: int, outcome: DeleteOutcome) -> None:
    row = DELETE_PREAMBLES[row_index]
    for code, layout in itertools.product(
        (row.statuscode, int(row.statuscode)), (_delete_body, _camel_delete_body)
    ):
        result = parse_delete_response(
            "20-11852", layout(row.responsestatus, code, row.responsemessage)
        )
        assert result.outcome is outcome
        assert result.message == row.responsemessage
        if outcome is DeleteOutcome.FAILED:
            assert result.remedy == row.remedy


def test_an_abend_with_its_real_program_suffix_still_maps_to_failed_with_its_remedy() -> None:
    message = DELETE_PREAMBLES[4].responsemessage.replace("xxxxxxxx", "20-11852")
    result = parse_delete_response("20-11852", _delete_body("FAILED", "406", message))
    assert result.outcome is DeleteOutcome.FAILED
    assert "Resubmit request" in result.remedy


def test_an_unknown_failure_is_failed_with_the_api_message() -> None:
    result = parse_delete_response("20-1", _delete_body("FAILED", "999", "Something new"))
    assert result.outcome is DeleteOutcome.FAILED
    assert result.message == "Something new"
    assert not result.ok
