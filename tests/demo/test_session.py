"""``orderbot demo``: every feature the issue asks the demo to show, through the Demo driver
on a fast scenario (holds move every half second, the poller runs five times a second). The
output is what a pipe gets: mrkdwn rendered as plain text (``test_render`` has the colours,
``test_terminal`` the prompt)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest_asyncio

from bot.demo import Demo, demo_world


@pytest_asyncio.fixture
async def demo() -> AsyncIterator[tuple[Demo, io.StringIO]]:
    out = io.StringIO()
    async with demo_world(poll_interval=0.2, scenario_every=0.5) as world:
        yield Demo(world, out, 0.5), out


async def run(demo: Demo, *lines: str) -> None:
    for line in lines:
        assert await demo.handle(line)


async def test_a_multi_shipment_order(demo) -> None:
    driver, out = demo
    await run(driver, "/order 20-MX14B")
    text = out.getvalue()
    assert "# Order 20-MX14B" in text
    assert text.count("• 20-MX14B-") == 14
    assert "*" not in text and "`" not in text and ":no_entry:" not in text


async def test_a_deletable_order_and_a_released_one(demo) -> None:
    driver, out = demo
    await run(driver, "/order delete 20-11852", "press Delete order", "/order delete 20-REL01")
    text = out.getvalue()
    assert "[Delete order] (press delete_confirm)" in text
    assert "✅ Order 20-11852 was deleted by @U0ALICE" in text
    assert "Order 20-REL01 cannot be deleted" in text


async def test_users_and_help(demo) -> None:
    driver, out = demo
    await run(driver, "help", "as bob", "/order delete 20-11852", "as carol", "/order 20-RD12H-11")
    text = out.getvalue()
    assert "press <button>" in text
    assert "You are not allowed to delete orders" in text
    assert "unknown user 'carol'" in text
    assert "You asked for shipment 20-RD12H-11" in text


async def test_a_credit_hold_is_placed_and_released_with_alerts(demo) -> None:
    _driver, out = demo
    for _ in range(100):  # the scenario: credit hold at 0.5 s, released at 1.5 s
        await asyncio.sleep(0.1)
        text = out.getvalue()
        if "#credit-alerts · message" in text and "Hold released on 20-RD12H-21" in text:
            break
    assert "Credit hold on 20-RD12H-21 (PO CUSTPO): C3" in text
    assert "Hold released on 20-RD12H-21" in text
    # The order's card: the order and its PO, and the hold actions; pressing I'm on it
    # edits the card for everyone and says so in its thread.
    assert "Order 20-RD12H · PO CUSTPO" in text
    assert "[I'm on it] (press hold_take)" in text
    assert await _driver.handle("press I'm on it")
    # The card's edit goes through the outbox: it may come after the press's own answer.
    for _ in range(100):
        text = out.getvalue()
        if "@U0ALICE is on it since" in text and "message edited" in text:
            break
        await asyncio.sleep(0.1)
    assert "@U0ALICE is on it since" in text and "message edited" in text
    assert "no answer within" not in text and "did not change" not in text


async def test_unknown_input_is_answered_and_quit_ends(demo) -> None:
    driver, out = demo
    await run(driver, "dance", "/weather", "press Nothing", "wait soon", "# a comment", "")
    assert not await driver.handle("quit")
    text = out.getvalue()
    assert "'dance' is not a command here" in text
    assert "orderbot only has /order" in text
    assert "no message has buttons yet" in text
    assert "wait how many seconds?" in text


async def test_the_demo_knows_there_is_only_one_command(demo) -> None:
    driver, out = demo
    await run(driver, "20-RD12H", "po CUSTPO", "holds CH", "20-rd12h-11")
    text = out.getvalue()
    assert "(as /order 20-RD12H)" in text and "# Order 20-RD12H" in text
    assert "(as /order po CUSTPO)" in text and "# 3 orders with PO CUSTPO" in text
    assert "(as /order holds CH)" in text
    assert "You asked for shipment 20-RD12H-11" in text
    assert "not a command here" not in text


async def test_wait_wants_a_number_of_seconds(demo) -> None:
    driver, out = demo
    for line in ("wait", "wait -5", "wait 0", "wait 5000", "wait soon"):
        began = asyncio.get_running_loop().time()
        await run(driver, line)
        assert asyncio.get_running_loop().time() - began < 1, line
    usage = "? wait how many seconds? e.g. wait 30 (more than 0, at most 3600)"
    assert out.getvalue().count(usage) == 5
    began = asyncio.get_running_loop().time()
    await run(driver, "wait 0.2")
    assert asyncio.get_running_loop().time() - began >= 0.2


async def test_metrics_shows_orderbots_own_lines_of_the_page(demo) -> None:
    driver, out = demo
    await run(driver, "/order status", "metrics")
    text = out.getvalue()
    assert 'orderbot_order_command_duration_seconds_count{subcommand="status"} 1.0' in text
    assert 'orderbot_outbox_messages{state="dead"} 0.0' in text
    assert "orderbot_polls_total{outcome=" in text
    assert "# HELP" not in text and "_bucket{" not in text and "orderbot_process_" not in text
