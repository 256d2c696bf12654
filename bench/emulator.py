"""Shared by the benchmarks: the Ingram emulator in a process of its own (as Ingram would be),
and an Ingram client for it, both with the rate limit raised out of the way."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from typing import Any

import httpx

from bot.ingram import IngramClient, RateLimiter
from bot.sandbox.ingram import SandboxState, start_sandbox
from bot.sandbox.world import sandbox_ingram_settings

#: Calls per 60 s for the emulator and the client: high enough never to be the bottleneck.
UNLIMITED = 10**9


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int, suborders: int | None, rate: int, options: dict[str, Any]) -> None:
    async def main() -> None:
        from bot.clock import utc_now
        from bot.sandbox.ingram import build_bulk

        orders = build_bulk(utc_now(), suborders) if suborders else None
        state = SandboxState(orders=orders, rate_limit=rate, **options)
        await start_sandbox(state, port=port)
        await asyncio.Event().wait()

    asyncio.run(main())


class EmulatorProcess:
    """``async with EmulatorProcess(suborders=100_000) as url:`` - the emulator, seeded with
    ``build_bulk(suborders)`` (or the demo seed), serving at ``url`` until the block ends."""

    def __init__(
        self, *, suborders: int | None = None, rate: int = UNLIMITED, **options: Any
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(self.port, suborders, rate, options), daemon=True
        )

    async def __aenter__(self) -> str:
        self._process.start()
        async with httpx.AsyncClient() as http:
            for _ in range(1200):
                try:
                    await http.get(f"{self.url}/_sandbox/state")
                    return self.url
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        self._process.terminate()
        raise SystemExit(f"the emulator did not start at {self.url}")

    async def __aexit__(self, *_exc: object) -> None:
        self._process.terminate()
        self._process.join()


def sandbox_client(url: str, rate: int = UNLIMITED) -> IngramClient:
    """An Ingram client for the emulator at ``url``, windows off, budget ``rate`` per 60 s."""
    return IngramClient(sandbox_ingram_settings(url), limiter=RateLimiter(rate, 60.0))
