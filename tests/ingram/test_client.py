"""The client over loopback against the emulator: the specs' recommended tests first, then
tokens, rate limits, faults, windows and secrets."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.ingram import CallRecord, IngramClient, RetryPolicy
from bot.ingram.codes import DELETE_ABEND, DELETE_TECHNICAL_ERROR, HTTP_CODES
from bot.ingram.errors import (
    AccessNotApprovedError,
    BadRequestError,
    CredentialsError,
    EndpointNotFoundError,
    ForbiddenError,
    IncompleteResultError,
    InvalidArgumentError,
    OutsideWindowError,
    ResponseFormatError,
    UnavailableError,
)
from bot.ingram.models import DeleteOutcome, SearchQuery
from bot.ingram.ratelimit import RateLimiter
from bot.sandbox.ingram import SANDBOX_CLIENT_SECRET, Fault, RunningSandbox

# --- OrderLookupAPI recommended tests ------------------------------------------------------


async def test_lookup_invalid_access_token_is_refreshed_once(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    assert await client.find_order("20-RD12H") is not None
    sandbox.state.expire_tokens()  # Ingram no longer knows the cached token
    assert await client.find_order("20-RD12H") is not None
    assert client.stats.token_requests == 2


async def test_lookup_with_rejected_credentials_names_the_variables(
    make_client, sandbox: RunningSandbox
) -> None:
    client = make_client(client_secret="wrong-secret")
    with pytest.raises(CredentialsError) as caught:
        await client.find_order("20-RD12H")
    assert "INGRAM_CLIENT_ID" in str(caught.value) and "INGRAM_CLIENT_SECRET" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)
    assert sandbox.state.search_calls == 0


async def test_lookup_a_valid_order_by_order_number(client: IngramClient) -> None:
    order = await client.find_order("20-rd12h")
    assert order is not None
    assert order.ordernumber == "20-RD12H"
    assert order.customerordernumber == "CUSTPO"
    assert order.entrytimestamp is not None
    subs = {s.subordernumber: s for s in order.suborders}
    assert set(subs) == {"20-RD12H-11", "20-RD12H-21", "20-RD12H-31"}
    assert (subs["20-RD12H-11"].statuscode, subs["20-RD12H-11"].holdreasoncode) == ("C", "CH")
    assert subs["20-RD12H-11"].holdreason == "HARD-9 CUST NOT FLOOR ORD"
    assert not subs["20-RD12H-21"].on_hold


async def test_a_suborder_number_finds_its_order(client: IngramClient) -> None:
    order = await client.find_order("20-RD12H-31")
    assert order is not None and order.suborder("20-RD12H-31").holdreasoncode == "SH"


async def test_lookup_by_order_number_status_and_timestamps(
    client: IngramClient, clock: ManualClock
) -> None:
    query = SearchQuery(
        ordernumber="20-RD12H",
        orderstatus="C",
        start=clock() - timedelta(days=30),
        end=clock(),
    )
    page = await client.search(query)
    (order,) = page.orders
    assert [s.subordernumber for s in order.suborders] == ["20-RD12H-11"]
    # The same order outside the time window is not found.
    empty = await client.search(
        SearchQuery(ordernumber="20-RD12H", end=clock() - timedelta(days=30))
    )
    assert empty.orders == ()


async def test_lookup_an_order_with_multiple_shipments_using_page_number_and_size(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    first = await client.search(SearchQuery(ordernumber="20-MX14B"), page_size=2, page_number=1)
    assert len(first.orders[0].suborders) == 14
    assert (first.pagesize, first.pagenumber) == (2, 1)
    beyond = await client.search(SearchQuery(ordernumber="20-MX14B"), page_size=2, page_number=5)
    assert beyond.orders == ()


async def test_lookup_by_customer_po_expands_link_only_entries(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    orders = await client.find_by_po("CUSTPO")
    numbers = sorted(o.ordernumber for o in orders)
    assert numbers == ["20-LNK01", "20-RD12H", "20-RD47K"]  # not the other customer's 20-XC001
    assert all(o.details and o.suborders for o in orders)


async def test_lookup_by_invalid_search_criteria(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    assert await client.find_order("20-NOSUCH") is None  # FAILED / "No data found": empty
    assert await client.find_by_po("NO-SUCH-PO") == []  # SUCCESS / "No Data Found ...": empty
    with pytest.raises(BadRequestError, match="400"):
        await client.search(SearchQuery(orderstatus="Z"))  # not a status code: Ingram says 400
    calls = sandbox.state.search_calls
    with pytest.raises(InvalidArgumentError):
        await client.search(SearchQuery(), page_size=101)
    with pytest.raises(InvalidArgumentError):
        await client.find_order("hello")
    assert sandbox.state.search_calls == calls  # refused before any call


async def test_lookup_multiple_sales_orders_walks_every_page(
    client: IngramClient, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    query = SearchQuery(start=clock() - timedelta(days=30), end=clock())
    pages = [p async for p in client.iter_pages(query)]
    total = pages[0].ordersfound
    assert total > 100
    assert len(pages) == -(-total // 100) == sandbox.state.search_calls
    numbers = [o.ordernumber for p in pages for o in p.orders]
    assert len(numbers) == len(set(numbers)) == total


@pytest.mark.parametrize(
    ("before", "short"),
    [(1, 0), (1, 40), (0, 60)],
    ids=["empty-page-2", "short-page-2", "short-page-1"],
)
async def test_a_short_read_before_the_end_is_an_error_not_a_smaller_result(
    client: IngramClient, sandbox: RunningSandbox, clock: ManualClock, before: int, short: int
) -> None:
    """Ingram reported N orders and the pages held fewer: a typed error, never a partial
    result passed off as the whole one."""

    def spoil() -> None:
        if before:
            sandbox.state.faults.add(Fault(status=200, times=before))
        sandbox.state.faults.add(Fault(short=short, times=1))

    query = SearchQuery(start=clock() - timedelta(days=30), end=clock())
    spoil()
    with pytest.raises(IncompleteResultError) as caught:
        [p async for p in client.iter_pages(query)]
    assert caught.value.reported > caught.value.received
    assert "incomplete" in str(caught.value)
    spoil()
    with pytest.raises(IncompleteResultError):
        await client.find_orders(query)
    # Without the fault, the same search reads every order.
    assert len([o async for o in client.iter_orders(query)]) == caught.value.reported


async def test_a_success_without_results_is_an_error_not_no_such_order(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.add(Fault(no_results=True, times=1))
    with pytest.raises(ResponseFormatError, match="no results"):
        await client.find_order("20-RD12H")
    assert await client.find_order("20-NOSUCH") is None  # a documented "No data found" is


async def test_both_response_layouts_give_the_same_orders(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.response_style = "sample"
    sample = await client.find_order("20-RD12H")
    sandbox.state.response_style = "table"
    table = await client.find_order("20-RD12H")
    assert sample == table


# --- OrderDeleteAPI recommended tests ------------------------------------------------------


async def _entrydate(client: IngramClient, number: str):
    order = await client.find_order(number)
    assert order is not None
    return order.entrydate


async def test_delete_invalid_access_token(make_client, sandbox: RunningSandbox) -> None:
    client = make_client(client_secret="nope")
    with pytest.raises(CredentialsError):
        await client.delete_order("20-11852", "2026-11-01")
    assert sandbox.state.delete_calls == 0


async def test_delete_a_valid_sales_order(client: IngramClient, sandbox: RunningSandbox) -> None:
    day = await _entrydate(client, "20-11852")
    result = await client.delete_order("20-11852", day)
    assert result.outcome is DeleteOutcome.DELETED and result.ok
    assert "Deleted Successfully" in result.message
    (request,) = [r for r in sandbox.state.requests if r.method == "DELETE"]
    # Ingram's spelling, exactly (ingram-v5-evidence.md), and the spec's Content-Type.
    assert request.query == {
        "customerNumber": "20-123456",
        "isoCountryCode": "UK",
        "entryDate": day.isoformat(),
    }
    assert request.content_type == "application/json"
    searches = [r for r in sandbox.state.requests if r.method == "GET"]
    assert searches and all(
        set(r.query) >= {"customerNumber", "isocountrycode", "pagesize", "pagenumber"}
        and "customernumber" not in r.query
        for r in searches
    )
    after = await client.find_order("20-11852")
    assert all(s.statuscode == "V" for s in after.suborders)


async def test_delete_an_order_that_was_already_deleted(client: IngramClient) -> None:
    result = await client.delete_order("20-DEL01", await _entrydate(client, "20-DEL01"))
    assert result.outcome is DeleteOutcome.ALREADY_DELETED
    assert result.ok


async def test_delete_an_order_that_cannot_be_deleted(client: IngramClient) -> None:
    result = await client.delete_order("20-REL01", await _entrydate(client, "20-REL01"))
    assert result.outcome is DeleteOutcome.FAILED
    assert result.message.startswith(DELETE_ABEND.responsemessage[:40])
    assert result.remedy == DELETE_ABEND.remedy


async def test_every_delete_outcome_reads_the_same_in_the_camel_case_layout(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    """Ingram's OpenAPI sample answers requestStatus/returnCode/returnMessage: a returnCode
    "1" with the "does not exists" message is not found, not failed."""
    sandbox.state.response_style = "sample"
    days = {n: await _entrydate(client, n) for n in ("20-11852", "20-DEL01", "20-REL01")}
    outcomes = {
        number: (await client.delete_order(number, day)).outcome for number, day in days.items()
    }
    outcomes["20-NOSUCH"] = (await client.delete_order("20-NOSUCH", "2026-11-01")).outcome
    assert outcomes == {
        "20-11852": DeleteOutcome.DELETED,
        "20-DEL01": DeleteOutcome.ALREADY_DELETED,
        "20-REL01": DeleteOutcome.FAILED,
        "20-NOSUCH": DeleteOutcome.NOT_FOUND,
    }


@pytest.mark.parametrize("bad", ["01/12/2020", "2020-13-01", "2020-02-30", "20201201", ""])
async def test_delete_with_an_invalid_entry_date_is_refused_before_any_call(
    client: IngramClient, sandbox: RunningSandbox, bad: str
) -> None:
    with pytest.raises(InvalidArgumentError, match="YYYY-MM-DD"):
        await client.delete_order("20-11852", bad)
    assert sandbox.state.delete_calls == 0


async def test_delete_with_the_wrong_entry_date_is_not_found(client: IngramClient) -> None:
    result = await client.delete_order("20-11852", "2001-01-01")
    assert result.outcome is DeleteOutcome.NOT_FOUND


async def test_delete_an_invalid_order_number(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    result = await client.delete_order("20-NOSUCH", "2026-11-01")
    assert result.outcome is DeleteOutcome.NOT_FOUND
    assert "does not exists" in result.message
    with pytest.raises(InvalidArgumentError):
        await client.delete_order("20-11852-11", "2026-11-01")  # a shipment, not an order
    assert sandbox.state.delete_calls == 1


async def test_delete_failures_carry_the_api_message_and_the_remedy(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.add(Fault(method="DELETE", preamble=DELETE_TECHNICAL_ERROR))
    result = await client.delete_order("20-11852", await _entrydate(client, "20-11852"))
    assert result.outcome is DeleteOutcome.FAILED
    assert result.message == DELETE_TECHNICAL_ERROR.responsemessage
    assert result.remedy.startswith("Resubmit request")


# --- tokens ------------------------------------------------------------------------------


async def test_200_concurrent_lookups_cause_one_token_request(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    results = await asyncio.gather(*(client.find_order("20-RD12H") for _ in range(200)))
    assert all(r is not None for r in results)
    assert sandbox.state.token_requests == 1
    assert client.stats.token_requests == 1


async def test_the_token_is_renewed_after_it_expires(
    client: IngramClient, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    await client.find_order("20-RD12H")
    clock.advance(hours=24)
    await client.find_order("20-RD12H")
    assert sandbox.state.token_requests == 2
    assert sandbox.state.rate_limited == 0


async def test_no_apiproduct_match_says_the_app_is_not_approved(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.api_product_approved = False
    with pytest.raises(AccessNotApprovedError) as caught:
        await client.find_order("20-RD12H")
    assert "not yet approved" in str(caught.value)
    assert "credentials themselves are fine" in str(caught.value)
    assert sandbox.state.token_requests == 1  # no pointless refresh loop


# --- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_then_succeeds(
    client: IngramClient, sandbox: RunningSandbox, status: int
) -> None:
    sandbox.state.faults.add(Fault(status=status, times=2))
    assert await client.find_order("20-RD12H") is not None
    assert client.stats.retries == 2


async def test_5xx_that_persists_is_a_typed_error_with_the_code_and_the_remedy(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.add(Fault(status=503, times=0))
    with pytest.raises(UnavailableError) as caught:
        await client.find_order("20-RD12H")
    assert caught.value.status == 503
    assert caught.value.attempts == 3
    assert caught.value.remedy == HTTP_CODES[503].remedy
    assert "503 Service Unavailable" in str(caught.value) and "Try again" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (403, ForbiddenError), (404, EndpointNotFoundError)],
)
async def test_400_403_404_are_not_retried(
    client: IngramClient, sandbox: RunningSandbox, status: int, error: type
) -> None:
    sandbox.state.faults.add(Fault(status=status, times=0))
    with pytest.raises(error):
        await client.find_order("20-RD12H")
    assert sandbox.state.search_calls == 1


async def test_a_wrong_base_url_says_which_settings_to_check(
    make_client, sandbox: RunningSandbox
) -> None:
    client = make_client(base_url=sandbox.url + "/wrong")
    with pytest.raises(EndpointNotFoundError, match="INGRAM_BASE_URL"):
        await client.find_order("20-RD12H")


async def test_a_call_that_hangs_times_out_and_is_retried(
    make_client, sandbox: RunningSandbox
) -> None:
    client = make_client(timeout=0.2)
    sandbox.state.faults.add(Fault(status=200, delay=1.0, times=1))
    assert await client.find_order("20-RD12H") is not None
    assert client.stats.retries == 1


async def test_a_dropped_connection_is_retried(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.add(Fault(drop=True, times=1))
    assert await client.find_order("20-RD12H") is not None


async def test_nothing_listening_is_unavailable_after_retries(make_client) -> None:
    client = make_client(base_url="http://127.0.0.1:9")
    with pytest.raises(UnavailableError, match="could not connect"):
        await client.find_order("20-RD12H")


async def test_a_delete_retried_after_a_5xx_that_answers_already_deleted_is_deleted(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    day = await _entrydate(client, "20-11852")
    sandbox.state.faults.add(Fault(method="DELETE", status=504, apply_first=True))
    result = await client.delete_order("20-11852", day)
    assert result.outcome is DeleteOutcome.DELETED
    assert result.retried
    assert sandbox.state.delete_calls == 2


async def test_a_delete_whose_answer_was_lost_is_looked_up_not_resent(
    make_client, sandbox: RunningSandbox
) -> None:
    client = make_client(timeout=0.2)
    day = await _entrydate(client, "20-11852")
    sandbox.state.faults.add(Fault(method="DELETE", status=200, delay=1.0, apply_first=True))
    searches = sandbox.state.search_calls
    result = await client.delete_order("20-11852", day)
    assert result.outcome is DeleteOutcome.DELETED
    assert sandbox.state.delete_calls == 1  # not repeated blindly
    assert sandbox.state.search_calls == searches + 1  # the order was looked up instead


async def test_a_delete_that_timed_out_before_ingram_acted_is_sent_again_after_a_lookup(
    make_client, sandbox: RunningSandbox
) -> None:
    client = make_client(timeout=0.2)
    day = await _entrydate(client, "20-11852")
    sandbox.state.faults.add(Fault(method="DELETE", status=503, delay=1.0))
    result = await client.delete_order("20-11852", day)
    assert result.outcome is DeleteOutcome.DELETED
    assert sandbox.state.delete_calls == 2


# --- rate limit ----------------------------------------------------------------------------


async def test_a_429_waits_for_the_reset_and_retries(
    client: IngramClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.faults.add(Fault(status=429, times=2))
    assert await client.find_order("20-RD12H") is not None
    assert client.stats.rate_limited == 2
    assert client.stats.retries == 0  # a 429 is not a fault


async def test_a_burst_above_the_server_limit_is_queued_never_dropped(
    make_client, sandbox: RunningSandbox, clock: ManualClock
) -> None:
    sandbox.state.rate_limit = 5
    client = make_client()
    results = await asyncio.gather(*(client.find_order("20-RD12H") for _ in range(12)))
    assert all(r is not None for r in results)
    assert sandbox.state.search_calls - sandbox.state.rate_limited == 12
    # Remaining 0 is read from the headers and waited out, so few calls are spent on 429s.
    assert client.limiter.stats.server_waits >= 1


async def test_the_process_limit_holds_calls_back_locally(
    make_client, sandbox: RunningSandbox
) -> None:
    client = make_client(limiter=RateLimiter(3, 0.3))  # real time: 10 calls per second
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(client.find_order("20-RD12H") for _ in range(6)))
    assert loop.time() - started >= 0.25
    assert sandbox.state.rate_limited == 0


# --- windows -----------------------------------------------------------------------------


async def test_outside_the_window_no_call_is_made_and_the_error_says_when_it_opens(
    make_client, sandbox: RunningSandbox
) -> None:
    saturday = ManualClock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    client = make_client(windows_enforced=True, clock=saturday)
    with pytest.raises(OutsideWindowError) as caught:
        await client.find_order("20-RD12H")
    assert "Mon 30 Nov 06:00 GMT" in str(caught.value)
    assert sandbox.state.token_requests == sandbox.state.search_calls == 0


# --- secrets -------------------------------------------------------------------------------


async def test_no_secret_or_token_in_logs_reprs_or_errors(
    make_client, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    await client.find_order("20-RD12H")
    sandbox.state.faults.add(Fault(status=503, times=0))
    with pytest.raises(UnavailableError) as caught:
        await client.find_order("20-RD12H")
    tokens = list(sandbox.state.tokens)  # what Ingram issued
    texts = [caplog.text, repr(client), repr(client.limiter), str(caught.value)]
    for text in texts:
        assert SANDBOX_CLIENT_SECRET not in text
        for token in tokens:
            assert token not in text


def test_backoff_is_exponential_with_jitter_and_bounded() -> None:
    policy = RetryPolicy(attempts=10, base=0.5, cap=8.0)
    delays = [policy.delay(n, random.Random(1)) for n in range(1, 10)]
    assert all(0.25 <= d <= 8.0 for d in delays)
    assert delays[-1] >= 4.0


# --- the on_call hook --------------------------------------------------------------------------


async def test_on_call_is_told_of_every_request_with_its_api_and_status(
    make_client, sandbox: RunningSandbox
) -> None:
    records: list[CallRecord] = []
    client = make_client(on_call=records.append)
    sandbox.state.faults.add(Fault(status=503, times=1))
    day = await _entrydate(client, "20-11852")
    await client.delete_order("20-11852", day)
    seen = [(r.api, r.method, r.status) for r in records]
    assert seen[0] == ("token", "POST", 200)
    assert seen[1:] == [
        ("lookup", "GET", 503),  # each retry is a request of its own
        ("lookup", "GET", 200),
        ("delete", "DELETE", 200),
    ]
    assert all(r.seconds >= 0 for r in records)


async def test_on_call_records_no_status_when_no_answer_came_and_a_failing_hook_is_harmless(
    make_client, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    records: list[CallRecord] = []

    def hook(record: CallRecord) -> None:
        records.append(record)
        raise RuntimeError("a broken observer")

    client = make_client(on_call=hook)
    sandbox.state.faults.add(Fault(drop=True, times=1))
    assert await client.find_order("20-RD12H") is not None
    assert [(r.api, r.status) for r in records] == [
        ("token", 200),
        ("lookup", None),
        ("lookup", 200),
    ]
    assert "the on_call hook failed" in caplog.text
