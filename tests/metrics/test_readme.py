"""The README's metrics table names every family a running bot serves, and its example
alerting rules use series (and label values) that a scrape really has."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.sandbox.world import FAST_RETRY, SandboxWorld
from tests.metrics.helpers import first_poll, scrape
from tests.slack.helpers import ask

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("- **Metrics**") : README.index("- **Logs**")]


async def test_the_readme_lists_every_family_and_its_alerting_rules_use_real_series() -> None:
    listed = set(re.findall(r"^  \| `(orderbot_[a-z_*]+)` \|", SECTION, re.M))
    rules = yaml.safe_load(re.search(r"```yaml\n(.*?)```", SECTION, re.S).group(1))
    async with SandboxWorld(retry=FAST_RETRY, poll_interval=3600) as world:
        await first_poll(world)
        await ask(world.user(), "status")
        m = await scrape(world.bot.url)
    families = {
        name + ("_total" if f.type == "counter" else "")
        for name, f in m.items()
        if not name.startswith("orderbot_process_")
    }
    assert listed == families | {"orderbot_process_*"}
    samples = {(s.name, tuple(sorted(s.labels.items()))) for f in m.values() for s in f.samples}
    names = {name for name, _ in samples}
    for rule in rules["groups"][0]["rules"]:
        for name, labels in re.findall(r"(orderbot_[a-z_]+)(?:\{([^}]*)\})?", rule["expr"]):
            assert name in names, (rule["alert"], name)
            for label, value in re.findall(r'(\w+)="([^"]*)"', labels):
                assert any(n == name and (label, value) in items for n, items in samples), (
                    rule["alert"],
                    name,
                    label,
                    value,
                )
