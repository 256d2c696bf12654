"""``GET /metrics`` of a running bot: the gauges read at each scrape (the outbox by state, the
holds by code, the last successful poll, the writer lease, the store, Ingram's rate budget),
after real polls and deliveries over the emulators, parsed with prometheus_client's parser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.clock import ManualClock
from bot.metrics import Metrics, State
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.store import current_holds, last_successful_poll
from tests.metrics.helpers import (
    a_dead_letter_and_a_delivery,
    first_poll,
    labelled,
    sample,
    scrape,
)


async def test_the_gauges_after_a_poll_a_delivery_and_a_dead_letter() -> None:
    async with SandboxWorld(retry=FAST_RETRY, poll_interval=3600) as world:
        await a_dead_letter_and_a_delivery(world)

        families = await scrape(world.bot.url)
        assert all(name.startswith("orderbot_") for name in families)
        waiting = labelled(families, "orderbot_outbox_waiting_messages", "waiting_for")
        assert waiting == {"settle": 0, "hours": 0}
        assert labelled(families, "orderbot_outbox_messages", "state") == {
            "pending": 0,
            "sending": 0,
            "waiting": 0,  # for a rule's settle time or hours
            "delivered": 1,
            "dead": 1,
            "undone": 0,  # settling kept them quiet
            "superseded": 0,
            "merged": 0,
            "dropped": 0,  # dead letters an operator gave up
        }
        holds = await world.bot.store.run(current_holds)
        by_code: dict[str, float] = {}
        for row in holds:
            by_code[row.holdreasoncode] = by_code.get(row.holdreasoncode, 0) + 1
        assert labelled(families, "orderbot_holds_open", "hold_code") == by_code
        assert by_code["C3"] >= 1 and "VO" in by_code  # the seed has deleted orders too
        last = await world.bot.store.run(last_successful_poll)
        assert sample(families, "orderbot_poll_last_success_timestamp_seconds") == (
            last.finished_at.timestamp()
        )
        assert sample(families, "orderbot_writer_lease_held") == 1
        assert sample(families, "orderbot_store_ok") == 1
        remaining = sample(families, "orderbot_ingram_rate_remaining")
        assert remaining is not None and 0 < remaining < 60  # the emulator's count, after calls
        assert sample(families, "orderbot_process_resident_memory_bytes") > 0


async def test_in_socket_mode_metrics_are_on_the_health_port() -> None:
    async with SandboxWorld(retry=FAST_RETRY, socket_mode=True) as world:
        families = await scrape(world.bot.url)
        assert "orderbot_outbox_messages" in families
        assert sample(families, "orderbot_writer_lease_held") == 1


def test_each_metrics_has_a_registry_of_its_own() -> None:
    one, two = Metrics(), Metrics()
    assert one.registry is not two.registry
    page, content_type = one.render(State(None, store_ok=False))
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(page.decode())}
    assert sample(families, "orderbot_store_ok") == 0
    assert families["orderbot_outbox_messages"].samples == []  # the database was not read
    open_metrics, content_type = two.render(
        State(None, store_ok=True), "application/openmetrics-text; version=1.0.0"
    )
    assert content_type.startswith("application/openmetrics-text")
    assert open_metrics.rstrip().endswith(b"# EOF")


async def test_rows_waiting_for_a_settle_time_or_hours_are_counted_by_what_for(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "waiting.yaml").write_text(
        "rules:\n"
        "  - name: settled-credit\n    on: hold_placed\n    match: {holdreasoncode: C3}\n"
        "    channel: '#credit-alerts'\n    settle: 1d\n"
        "  - name: office-releases\n    on: hold_released\n    channel: '#order-alerts'\n"
        '    hours: {days: mon-fri, from: "14:00", to: "15:00", timezone: UTC}\n',
        encoding="utf-8",
    )
    clock = ManualClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # a Monday, before 14:00
    async with SandboxWorld(
        retry=FAST_RETRY, clock=clock, poll_interval=3600, rules=folder
    ) as world:
        await first_poll(world)
        world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
        world.state.set_suborder("20-SH001-11", statuscode="", holdreasoncode="")
        assert (await world.bot.poller.poll_once()).ok
        families = await scrape(world.bot.url)
    waiting = labelled(families, "orderbot_outbox_waiting_messages", "waiting_for")
    assert waiting == {"settle": 1, "hours": 1}
    assert sample(families, "orderbot_outbox_messages", state="waiting") == 2
