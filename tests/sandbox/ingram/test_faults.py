"""The Ingram sandbox's rate limit, injected faults and latency, over real loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.ingram.codes import DELETE_BACKEND_503, DELETE_TECHNICAL_ERROR
from bot.ingram.models import DeleteOutcome
from bot.ingram.parsing import parse_delete_response, parse_search_response
from bot.sandbox.ingram import (
    Fault,
    RunningSandbox,
    SandboxState,
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
)

START_MS = int(START.timestamp() * 1000)


class Harness:
    """A running sandbox, an httpx client on it and a token."""

    def __init__(self, running: RunningSandbox, http: httpx.AsyncClient, token: str) -> None:
        self.running = running
        self.state = running.state
        self.http = http
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def search(self, **params: Any) -> httpx.Response:
        query = {**CUSTOMER, "ordernumber": "20-RD12H", **params}
        return await self.http.get(SEARCH, params=query, headers=self.headers)

    async def delete(self, number: str) -> httpx.Response:
        order = self.state.order(number)
        entry = order.entrytimestamp.date().isoformat() if order else "2026-03-01"
        return await self.http.delete(
            f"/resellers/v5/orders/{number}",
            params={**DELETE_CUSTOMER, "entryDate": entry},
            headers={**self.headers, **DELETE_HEADERS},
        )


async def _harness(state: SandboxState) -> AsyncIterator[Harness]:
    running = await start_sandbox(state, port=0)
    try:
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as http:
            response = await http.post(TOKEN_PATH, data=GOOD_FORM)
            yield Harness(running, http, response.json()["access_token"])
    finally:
        await running.stop()


@pytest_asyncio.fixture
async def box(clock: ManualClock) -> AsyncIterator[Harness]:
    # The field tables' layout, whose bodies the tests below spell out.
    async for harness in _harness(SandboxState(clock=clock, response_style="table")):
        yield harness


@pytest_asyncio.fixture
async def limited(clock: ManualClock) -> AsyncIterator[Harness]:
    async for harness in _harness(SandboxState(clock=clock, rate_limit=3, rate_period=60)):
        yield harness


# --- rate limit --------------------------------------------------------------------------------


async def test_rate_headers_count_down_then_429_until_the_window_resets(
    limited: Harness, clock: ManualClock
):
    remaining = []
    for _ in range(3):
        response = await limited.search()
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Reset"] == str(START_MS + 60_000)
        remaining.append(response.headers["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]

    refused = await limited.search()
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"] == str(START_MS + 60_000)
    assert refused.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"

    clock.advance(29.5)
    refused = await limited.search()
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "31"  # whole seconds, rounded up
    # Deletes share the limit; token requests are not limited.
    assert (await limited.delete("20-11852")).status_code == 429
    assert (await limited.http.post(TOKEN_PATH, data=GOOD_FORM)).status_code == 200
    assert limited.state.counters.rate_limited == 3

    clock.advance(30.5)  # the window has reset
    response = await limited.search()
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "2"
    assert response.headers["X-RateLimit-Reset"] == str(START_MS + 120_000)


async def test_rate_headers_on_errors_too(limited: Harness):
    bad = await limited.search(pagesize=101)
    assert bad.status_code == 400
    assert bad.headers["X-RateLimit-Remaining"] == "2"  # a 400 counts
    limited.token = "nonsense"
    unauthorised = await limited.search()
    assert unauthorised.status_code == 401
    assert unauthorised.headers["X-RateLimit-Remaining"] == "2"  # a 401 does not


# --- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_faults_answer_once_then_recover(box: Harness, status: int):
    box.state.faults.add(Fault(status=status))
    response = await box.search()
    assert response.status_code == status
    assert "faultstring" in response.json()["fault"]
    assert "X-RateLimit-Remaining" in response.headers
    assert (await box.search()).status_code == 200
    assert len(box.state.faults) == 0


async def test_fault_times_and_matching(box: Harness):
    box.state.faults.add(Fault(status=502, times=2, method="DELETE"))
    box.state.faults.add(Fault(status=500, path="/orders/search"))
    assert (await box.search()).status_code == 500  # the DELETE fault does not match a GET
    assert (await box.search()).status_code == 200
    assert (await box.delete("20-11852")).status_code == 502
    assert (await box.delete("20-11852")).status_code == 502
    assert preamble_status(await box.delete("20-11852")) == "SUCCESS"


async def test_fault_without_path_spares_the_token_endpoint(box: Harness):
    box.state.faults.add(Fault(status=503))
    assert (await box.http.post(TOKEN_PATH, data=GOOD_FORM)).status_code == 200
    assert (await box.search()).status_code == 503
    box.state.faults.add(Fault(status=503, path="oauth"))
    assert (await box.http.post(TOKEN_PATH, data=GOOD_FORM)).status_code == 503
    assert (await box.search()).status_code == 200


async def test_fault_until_cleared(box: Harness):
    box.state.faults.add(Fault(status=503, times=0))
    for _ in range(4):
        assert (await box.search()).status_code == 503
    box.state.faults.clear()
    assert (await box.search()).status_code == 200


async def test_fault_429_has_rate_headers_and_retry_after(box: Harness):
    box.state.faults.add(Fault(status=429))
    response = await box.search()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) == START_MS + 1000
    assert box.state.counters.rate_limited == 1


async def test_fault_drop_closes_the_connection(box: Harness):
    box.state.faults.add(Fault(drop=True))
    with pytest.raises(httpx.RemoteProtocolError):
        await box.search()
    assert box.state.counters.requests[-1].status == 0
    assert (await box.search()).status_code == 200


async def test_fault_apply_first_deletes_behind_a_504(box: Harness):
    """The DELETE succeeded but the client heard a 504; its retry finds it already deleted."""
    box.state.faults.add(Fault(status=504, method="DELETE", apply_first=True))
    response = await box.delete("20-11852")
    assert response.status_code == 504
    assert {s.statuscode for s in box.state.order("20-11852").suborders} == {"V"}
    retry = await box.delete("20-11852")
    result = parse_delete_response("20-11852", retry.content)
    assert result.outcome is DeleteOutcome.ALREADY_DELETED


async def test_fault_apply_first_with_drop(box: Harness):
    box.state.faults.add(Fault(method="DELETE", apply_first=True, drop=True))
    with pytest.raises(httpx.RemoteProtocolError):
        await box.delete("20-SH001")
    assert box.state.order("20-SH001").suborders[0].statuscode == "V"


@pytest.mark.parametrize("row", [DELETE_TECHNICAL_ERROR, DELETE_BACKEND_503])
async def test_fault_preamble_answers_200_without_deleting(box: Harness, row: Any):
    box.state.faults.add(Fault(method="DELETE", preamble=row))
    response = await box.delete("20-11852")
    assert response.status_code == 200
    pre = response.json()["serviceresponse"]["responsepreamble"]
    assert pre == {
        "responsestatus": "FAILED",
        "statuscode": "406",
        "responsemessage": row.responsemessage,
    }
    assert parse_delete_response("20-11852", response.content).outcome is DeleteOutcome.FAILED
    assert box.state.order("20-11852").suborders[0].statuscode != "V"


async def test_fault_delay_does_not_hold_up_other_requests(box: Harness):
    box.state.faults.add(Fault(status=200, delay=0.6, path="/sandbox/"))
    query = {**CUSTOMER, "ordernumber": "20-RD12H"}
    slow = asyncio.create_task(box.http.get(f"/sandbox{SEARCH}", params=query, headers=box.headers))
    fast = await box.search(ordernumber="20-SH001")
    assert fast.status_code == 200
    assert not slow.done()  # still sleeping while the other request was answered
    response = await slow
    assert response.status_code == 200  # status 200: a slow but normal answer
    assert parse_search_response(response.json()).orders[0].ordernumber == "20-RD12H"


async def test_fault_delay_then_timeout(box: Harness):
    box.state.faults.add(Fault(status=503, delay=5))
    with pytest.raises(httpx.ReadTimeout):
        await box.http.get(
            SEARCH, params={**CUSTOMER, "ordernumber": "20-RD12H"}, headers=box.headers, timeout=0.2
        )


async def test_latency_applies_to_api_calls(box: Harness):
    box.state.latency = 0.3
    started = time.perf_counter()
    assert (await box.search()).status_code == 200
    assert time.perf_counter() - started >= 0.3
    box.state.latency = 60  # token calls are not delayed: this answers at once
    response = await asyncio.wait_for(box.http.post(TOKEN_PATH, data=GOOD_FORM), 10)
    assert response.status_code == 200


def preamble_status(response: httpx.Response) -> str:
    return response.json()["serviceresponse"]["responsepreamble"]["responsestatus"]
