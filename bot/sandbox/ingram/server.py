"""Serving the Ingram sandbox: in-process (``start_sandbox``) or on its own (``run_sandbox``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.clock import utc_now
from bot.sandbox.ingram.routes import SandboxApp
from bot.sandbox.ingram.scenario import default_scenario
from bot.sandbox.ingram.seed import SANDBOX_COUNTRY, SANDBOX_CUSTOMER
from bot.sandbox.ingram.state import SandboxState
from bot.sandbox.ingram.tokens import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET


@dataclass
class RunningSandbox:
    """A sandbox serving on ``url`` (no trailing slash); ``await stop()`` when done."""

    url: str
    state: SandboxState
    _runner: web.AppRunner = field(repr=False)

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningSandbox:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


async def start_sandbox(
    state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Serve a sandbox on ``host:port`` (0: any free port) and return once it listens."""
    state = state or SandboxState()
    app = SandboxApp(state)
    runner = web.AppRunner(app.app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0]
    url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - comparison only
    if ":" in url_host:
        url_host = f"[{url_host}]"
    return RunningSandbox(f"http://{url_host}:{bound[1]}", state, runner)


async def run_sandbox(host: str, port: int, *, scenario: bool) -> None:
    """Serve a sandbox until cancelled (``orderbot sandbox``), printing how to use it."""
    clock = utc_now
    state = SandboxState(clock=clock, scenario=default_scenario(clock()) if scenario else None)
    running = await start_sandbox(state, host=host, port=port)
    print(
        f"Ingram Micro sandbox on {running.url}"
        f"{' (scenario on)' if scenario else ''} - use INGRAM_BASE_URL={running.url}"
        f" INGRAM_SANDBOX=1 INGRAM_CLIENT_ID={SANDBOX_CLIENT_ID}"
        f" INGRAM_CLIENT_SECRET={SANDBOX_CLIENT_SECRET}"
        f" INGRAM_CUSTOMER_NUMBER={SANDBOX_CUSTOMER} INGRAM_COUNTRY={SANDBOX_COUNTRY}"
        " ORDERBOT_IGNORE_WINDOWS=1 (the sandbox answers at any hour; without it orderbot keeps"
        " to Ingram's UK hours)",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await running.stop()
