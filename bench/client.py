"""Benchmark of the Ingram client against the local emulator.

Prints:
* the median time of one lookup through ``IngramClient.search`` and of a raw ``httpx`` GET
  of the same URL (same connection reuse, token already in hand), and their ratio: the
  client's per-call overhead (target: at most 1.3x);
* how many token requests 200 lookups started at once cause (target: 1).

The emulator runs in a separate process, as Ingram would, with its rate limit raised so the
benchmark measures the client, not the budget. Run: ``python bench/client.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from emulator import EmulatorProcess, sandbox_client

from bot.ingram.models import SearchQuery
from bot.sandbox.ingram import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
)


async def overhead(url: str, calls: int, rounds: int) -> tuple[float, float]:
    """Median seconds per call: (client.search, raw GET), interleaved round by round."""
    query = SearchQuery(ordernumber="20-RD12H")
    async with sandbox_client(url) as client, httpx.AsyncClient() as raw:
        await client.search(query)  # warm up: token, connection
        token = (
            await raw.post(
                f"{url}/oauth/oauth30/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": SANDBOX_CLIENT_ID,
                    "client_secret": SANDBOX_CLIENT_SECRET,
                },
            )
        ).json()["access_token"]
        params = {
            "customerNumber": SANDBOX_CUSTOMER,
            "isocountrycode": SANDBOX_COUNTRY,
            "ordernumber": "20-RD12H",
            "pagesize": "25",
            "pagenumber": "1",
        }
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        search_url = f"{url}/sandbox/resellers/v5/orders/search"
        await raw.get(search_url, params=params, headers=headers)
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(rounds):
            for _ in range(calls):
                t = time.perf_counter()
                await client.search(query)
                ours.append(time.perf_counter() - t)
            for _ in range(calls):
                t = time.perf_counter()
                response = await raw.get(search_url, params=params, headers=headers)
                response.raise_for_status()
                response.json()
                theirs.append(time.perf_counter() - t)
    return statistics.median(ours), statistics.median(theirs)


async def token_requests(url: str, lookups: int) -> tuple[int, int]:
    """Token requests (counted by the client) when ``lookups`` lookups start at once."""
    async with sandbox_client(url) as client:
        results = await asyncio.gather(*(client.find_order("20-RD12H") for _ in range(lookups)))
        found = sum(1 for r in results if r is not None)
        return client.stats.token_requests, found


async def main(calls: int, rounds: int, lookups: int) -> None:
    async with EmulatorProcess(response_style="table") as url:
        ours, raw = await overhead(url, calls, rounds)
        tokens, found = await token_requests(url, lookups)
    print(f"lookup through IngramClient.search: median {ours * 1000:.3f} ms per call")
    print(f"raw httpx GET, same URL:            median {raw * 1000:.3f} ms per call")
    print(f"client / raw:                       {ours / raw:.2f}x  (target <= 1.30x)")
    print(
        f"{lookups} lookups started at once:      {tokens} token request(s)"
        f" ({found} of {lookups} found the order)  (target: 1)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per round and per side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds, args.lookups))
