"""The Ingram Micro sandbox: an emulator of OrderLookupAPI v5 and OrderDeleteAPI v5 (aiohttp).

In-process use::

    running = await start_sandbox(SandboxState(clock=ManualClock()), port=0)
    ... running.url, running.state ...
    await running.stop()
"""

from bot.sandbox.ingram.orders import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Counters,
    Fault,
    FaultPlan,
    RecordedRequest,
    RunningSandbox,
    SandboxState,
    run_sandbox,
    start_sandbox,
)
from bot.sandbox.ingram.scenario import Scenario, Step, default_scenario
from bot.sandbox.ingram.seed import (
    OTHER_CUSTOMER,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    SeedOrder,
    SeedSuborder,
    build_bulk,
    build_seed,
    sub,
)

__all__ = [
    "OTHER_CUSTOMER",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_COUNTRY",
    "SANDBOX_CUSTOMER",
    "Counters",
    "Fault",
    "FaultPlan",
    "RecordedRequest",
    "RunningSandbox",
    "SandboxState",
    "Scenario",
    "SeedOrder",
    "SeedSuborder",
    "Step",
    "build_bulk",
    "build_seed",
    "default_scenario",
    "run_sandbox",
    "start_sandbox",
    "sub",
]
