"""``bot.ingram`` used alone, as an SDK: through its public names, with nothing of the bot."""

from __future__ import annotations

import json
import subprocess
import sys

import bot.ingram
from bot.ingram import IngramClient, IngramSettings, RetryPolicy, SearchQuery
from bot.sandbox.ingram import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    RunningSandbox,
)

#: What ``bot.ingram`` may import of the project besides itself: the lowest layer.
LOWEST_LAYER = {"bot", "bot.clock", "bot.headers", "bot.log"}


def test_every_public_name_is_there() -> None:
    missing = [name for name in bot.ingram.__all__ if not hasattr(bot.ingram, name)]
    assert missing == []


def test_the_package_imports_nothing_above_the_lowest_layer() -> None:
    code = (
        "import json, sys, bot.ingram; "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'bot' or m.startswith('bot.'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(run.stdout))
    outside = sorted(m for m in loaded - LOWEST_LAYER if m.split(".")[:2] != ["bot", "ingram"])
    assert outside == [], f"bot.ingram imports {outside}"


async def test_a_lookup_through_the_public_names_only(sandbox: RunningSandbox) -> None:
    settings = IngramSettings(
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        customer_number=SANDBOX_CUSTOMER,
        country=SANDBOX_COUNTRY,
        base_url=sandbox.url,
        sandbox=True,
        windows_enforced=False,
    )
    async with IngramClient(settings, retry=RetryPolicy(attempts=1)) as client:
        order = await client.find_order("20-RD12H")
        page = await client.search(SearchQuery(ordernumber="20-RD12H"))
    assert order is not None and order.ordernumber == "20-RD12H"
    assert [o.ordernumber for o in page.orders] == ["20-RD12H"]
    assert client.stats.token_requests == 1
