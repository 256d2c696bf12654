"""What the running bot counts, scraped from ``/metrics`` over HTTP and read with
prometheus_client's parser: Ingram calls by API and status, polls by outcome and duration,
events by kind, alerts by rule, Slack posts and their errors, ``/order`` latency; and two bots
in one process that each count for themselves."""

from __future__ import annotations

import asyncio

from bot.sandbox.ingram import Fault
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from tests.metrics.helpers import a_dead_letter_and_a_delivery, labelled, sample, scrape
from tests.slack.helpers import ask


async def test_a_poll_its_deliveries_and_commands_are_counted() -> None:
    async with SandboxWorld(retry=FAST_RETRY, poll_interval=3600) as world:
        await a_dead_letter_and_a_delivery(world)
        await ask(world.user(), "20-RD12H")
        await ask(world.user(), "status")

        m = await scrape(world.bot.url)
        searches = world.state.search_calls
        assert sample(m, "orderbot_ingram_calls_total", api="lookup", status="200") == searches
        assert sample(m, "orderbot_ingram_calls_total", api="token", status="200") == 1
        assert sample(m, "orderbot_ingram_call_duration_seconds_count", api="lookup") == searches
        assert labelled(m, "orderbot_polls_total", "outcome") == {
            "ok": 2,
            "failed": 0,
            "skipped": 0,
        }
        assert sample(m, "orderbot_poll_duration_seconds_count", outcome="ok") == 2
        assert sample(m, "orderbot_poll_duration_seconds_sum", outcome="ok") > 0
        assert labelled(m, "orderbot_events_total", "kind") == {
            "hold_placed": 1,
            "hold_released": 1,
            "status_changed": 2,  # each shipment's status code changed with its hold
        }
        assert sample(m, "orderbot_alerts_total", rule="credit-holds", kind="alert") == 1
        assert sum(labelled(m, "orderbot_alerts_total", "rule").values()) == 2
        method = "chat.postMessage"
        assert sample(m, "orderbot_slack_post_duration_seconds_count", method=method) == 2
        assert labelled(m, "orderbot_slack_post_errors_total", "error") == {"channel_not_found": 1}
        commands = labelled(m, "orderbot_order_command_duration_seconds_count", "subcommand")
        assert commands == {"lookup": 1, "status": 1}

        world.state.faults.add(Fault(status=503, times=0))
        assert not (await world.bot.poller.poll_once()).ok
        m = await scrape(world.bot.url)
        assert sample(m, "orderbot_polls_total", outcome="failed") == 1
        tries = FAST_RETRY.attempts
        assert sample(m, "orderbot_ingram_calls_total", api="lookup", status="503") == tries


async def test_two_bots_in_one_process_count_each_for_itself() -> None:
    async with (
        SandboxWorld(retry=FAST_RETRY) as one,
        SandboxWorld(retry=FAST_RETRY) as two,
    ):
        await asyncio.gather(ask(one.user(), "20-RD12H"), ask(one.user(), "holds"))
        await ask(two.user(), "help")
        first, second = await asyncio.gather(scrape(one.bot.url), scrape(two.bot.url))
        count = "orderbot_order_command_duration_seconds_count"
        assert labelled(first, count, "subcommand") == {"lookup": 1, "holds": 1}
        assert labelled(second, count, "subcommand") == {"help": 1}
        assert sample(first, "orderbot_ingram_calls_total", api="token", status="200") == 1
        assert labelled(second, "orderbot_ingram_calls_total", "api") == {}  # no Ingram call
