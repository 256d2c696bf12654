"""Scraping ``/metrics`` over HTTP and reading it with prometheus_client's own parser."""

from __future__ import annotations

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families


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
