"""Scraping ``/metrics`` over HTTP and reading it with prometheus_client's own parser; a
running bot's first poll, and a dead letter and a delivery made by a real poll."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox.world import SandboxWorld
from bot.store import outbox_counts


async def scrape(base_url: str) -> dict[str, Metric]:
    """``GET {base_url}/metrics``, parsed: the families by name."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{base_url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def sample(families: dict[str, Metric], name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly these labels (None when absent)."""
    family = families[_family_of(name, families)]
    for s in family.samples:
        if s.name == name and s.labels == labels:
            return s.value
    return None


def labelled(families: dict[str, Metric], name: str, label: str) -> dict[str, float]:
    """Every sample ``name`` by the value of its ``label``."""
    family = families[_family_of(name, families)]
    return {s.labels[label]: s.value for s in family.samples if s.name == name}


def _family_of(name: str, families: dict[str, Metric]) -> str:
    for suffix in ("_total", "_bucket", "_count", "_sum", ""):
        if name.endswith(suffix) and name.removesuffix(suffix) in families:
            return name.removesuffix(suffix) if suffix else name
    raise AssertionError(f"no family for {name} in {sorted(families)}")


async def wait_for(world: SandboxWorld, condition) -> None:
    """Until ``condition`` holds for the outbox's counts (at most 10 s)."""
    for _ in range(500):
        if condition(await world.bot.store.run(outbox_counts)):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(await world.bot.store.run(outbox_counts))


async def first_poll(world: SandboxWorld) -> None:
    """Until the poll the bot makes at start (the baseline) is over."""
    for _ in range(500):
        if world.bot.poller.last_report is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no poll at start")


async def a_dead_letter_and_a_delivery(world: SandboxWorld) -> None:
    """After the bot's first poll: a poll whose credit-hold alert is a dead letter
    (#credit-alerts does not exist) and whose release alert is delivered."""
    await first_poll(world)
    world.slack.missing_channels.add("credit-alerts")
    world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    world.state.set_suborder("20-SH001-11", statuscode="", holdreasoncode="")
    assert (await world.bot.poller.poll_once()).alerts == 2
    world.bot.notifier.wake()
    await wait_for(world, lambda c: c["dead"] == 1 and c["delivered"] == 1)
