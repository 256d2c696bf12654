"""The Ingram sandbox: a local emulator of Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5.

It behaves as the specs say, quirks included, so that a client cannot tell it from Ingram:

* ``POST /oauth/oauth30/token``: OAuth 2.0 client credentials; tokens expire by the state's
  clock; bad credentials are a 401.
* ``GET /resellers/v5/orders/search`` and ``DELETE /resellers/v5/orders/{ordernumber}``, and
  the same under ``/sandbox/resellers/v5/``: Apigee-style 401 faults for missing, unknown or
  expired tokens, a fixed-window rate limit with ``X-RateLimit-*`` headers and 429s, every
  filter and pagination of the search, every preamble outcome of the delete, and answers in
  both layouts the lookup spec shows (its sample's and its field table's).
* Injectable faults (``Fault``), latency, and a scenario clock that moves suborders on and
  off hold.
* A JSON control API under ``/_sandbox/`` (no auth) for demos and tests in other processes.

In-process use::

    running = await start_sandbox(SandboxState(clock=ManualClock()), port=0)
    ... running.url, running.state ...
    await running.stop()

Where things are (each module imports only those listed before it):

* ``seed``: the data set (``build_seed``, ``build_bulk``) and its JSON; ``scenario``: the
  scenario clock.
* ``params``: reading a request's query (``parse_search``, ``parse_delete``, ``BadRequest``).
* ``orders``: the order book: indexes, search, delete, suborder changes.
* ``bodies``: the JSON answers: search and delete bodies in both layouts, Apigee faults.
* ``counters``, ``tokens``, ``rate``: what was seen, the access tokens, the rate budget.
* ``faults``: ``Fault``, ``FaultPlan`` and how a spoilt request is answered.
* ``state``: ``SandboxState``, which holds the clock and settings and composes the above.
* ``control``: the control API; ``routes``: the token and order API routes.
* ``server``: ``start_sandbox``, ``run_sandbox``, ``RunningSandbox``.
"""

from bot.sandbox.ingram.counters import Counters, RecordedRequest
from bot.sandbox.ingram.faults import Fault, FaultPlan
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
from bot.sandbox.ingram.server import RunningSandbox, run_sandbox, start_sandbox
from bot.sandbox.ingram.state import SandboxState
from bot.sandbox.ingram.tokens import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

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
