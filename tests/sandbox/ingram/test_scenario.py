"""The scenario clock: steps fall due by the clock and the sandbox applies them on requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.ingram.parsing import parse_search_response
from bot.sandbox.ingram import (
    SandboxState,
    Scenario,
    Step,
    default_scenario,
    start_sandbox,
)
from tests.sandbox.ingram.helpers import START, get_token

STEPS = [Step("A-11", "C", "C3", "a"), Step("B-11", "", "", "b"), Step("A-11", "", "", "c")]


def test_steps_fall_due_one_interval_apart_and_are_handed_out_once():
    scenario = Scenario(START, list(STEPS), every=timedelta(seconds=10), loop=False)
    assert scenario.due(START) == []
    assert scenario.next_due() == START + timedelta(seconds=10)
    assert scenario.due(START + timedelta(seconds=9.9)) == []
    assert scenario.due(START + timedelta(seconds=10)) == [(0, STEPS[0])]
    assert scenario.due(START + timedelta(seconds=10)) == []
    assert scenario.due(START + timedelta(seconds=35)) == [(1, STEPS[1]), (2, STEPS[2])]
    assert scenario.due(START + timedelta(hours=1)) == []  # no loop: done
    assert scenario.next_due() is None


def test_a_looping_scenario_repeats():
    scenario = Scenario(START, list(STEPS), every=timedelta(seconds=10))
    due = scenario.due(START + timedelta(seconds=50))
    assert [k for k, _ in due] == [0, 1, 2, 3, 4]
    assert [s.note for _, s in due] == ["a", "b", "c", "a", "b"]
    assert scenario.applied == 5


def test_a_big_clock_jump_skips_only_repeated_cycles():
    scenario = Scenario(START, list(STEPS), every=timedelta(seconds=1))
    due = scenario.due(START + timedelta(days=1))
    assert len(due) == len(STEPS)  # one full cycle, the last one, in order
    assert due[-1][0] == 86_399 and scenario.applied == 86_400


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        Scenario(START, [], every=timedelta(0))


def test_default_scenario():
    scenario = default_scenario(START)
    assert scenario.every == timedelta(seconds=20) and scenario.loop
    assert [(s.subordernumber, s.statuscode, s.holdreasoncode) for s in scenario.steps] == [
        ("20-RD12H-21", "C", "C3"),
        ("20-SH001-11", "", ""),
        ("20-RD12H-21", "", ""),
        ("20-SH001-11", "S", "SH"),
    ]


@pytest_asyncio.fixture
async def state(clock: ManualClock) -> SandboxState:
    return SandboxState(clock=clock, scenario=default_scenario(START))


@pytest_asyncio.fixture
async def http(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    running = await start_sandbox(state, port=0)
    try:
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
            client.headers["Authorization"] = f"Bearer {await get_token(client)}"
            yield client
    finally:
        await running.stop()


async def suborder(http: httpx.AsyncClient, number: str) -> tuple[str, str, str, str]:
    order = number.rsplit("-", 1)[0]
    params = {"customerNumber": "20-123456", "isocountrycode": "UK", "ordernumber": order}
    page = parse_search_response(
        (await http.get("/resellers/v5/orders/search", params=params)).json()
    )
    s = page.orders[0].suborder(number)
    assert s is not None
    return (s.statuscode, s.status, s.holdreasoncode, s.holdreason)


async def test_scenario_moves_suborders_on_requests(
    http: httpx.AsyncClient, clock: ManualClock, state: SandboxState
):
    assert await suborder(http, "20-RD12H-21") == ("", "IN PROGRESS/OPEN ORDER", "", "")
    assert (await suborder(http, "20-SH001-11"))[0::2] == ("S", "SH")
    clock.advance(20)
    assert await suborder(http, "20-RD12H-21") == ("C", "CREDIT HOLD", "C3", "CREDIT HOLD")
    clock.advance(20)
    assert await suborder(http, "20-SH001-11") == ("", "IN PROGRESS/OPEN ORDER", "", "")
    clock.advance(40)  # two steps at once, applied in order
    assert (await suborder(http, "20-RD12H-21"))[0::2] == ("", "")
    assert await suborder(http, "20-SH001-11") == ("S", "SALES HOLD", "SH", "SALES HOLD")
    assert [k for k, _, _ in state.scenario_log] == [0, 1, 2, 3]
    clock.advance(20)  # the loop starts again
    assert (await suborder(http, "20-RD12H-21"))[0::2] == ("C", "C3")


async def test_deleted_orders_stay_deleted(
    http: httpx.AsyncClient, clock: ManualClock, state: SandboxState
):
    entry = state.order("20-SH001").entrytimestamp.date().isoformat()
    params = {"customerNumber": "20-123456", "isoCountryCode": "UK", "entryDate": entry}
    headers = {"Content-Type": "application/json"}
    await http.delete("/resellers/v5/orders/20-SH001", params=params, headers=headers)
    clock.advance(80)
    assert (await suborder(http, "20-SH001-11"))[0::2] == ("V", "VO")
