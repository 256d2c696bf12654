"""What the Slack listeners need from the rest of orderbot, in one object."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.clock import Clock, utc_now
from bot.orders import OrderService
from bot.store import AsyncStore
from bot.tasks import Background

log = logging.getLogger("orderbot.slack")

#: A Bolt listener; Bolt passes the arguments it names (ack, body, respond, ...).
Listener = Callable[..., Awaitable[None]]

#: Answers start once Slack's requests have paused this long (seconds): a burst of commands
#: is acknowledged before the answers' Ingram calls compete with it for the event loop...
ACKS_FIRST_QUIET = 0.02
#: ...but no answer waits longer than this for the pause.
ACKS_FIRST_MAX_WAIT = 0.25


class RulesRefusal(Protocol):
    """Rules that were refused: when, and every problem, one line each."""

    @property
    def at(self) -> datetime: ...

    @property
    def problems(self) -> Sequence[str]: ...


class RulesView(Protocol):
    """What ``/order status`` shows of the rules in force (``bot.watch.rules_reload``'s
    ``RulesInForce`` is one): how many, from where, loaded when, and a refusal in force."""

    @property
    def count(self) -> int: ...

    @property
    def source(self) -> str: ...

    @property
    def loaded_at(self) -> datetime: ...

    @property
    def refusal(self) -> RulesRefusal | None: ...


@dataclass
class Services:
    """The use cases and state the listeners work with; built once by the runtime."""

    orders: OrderService
    store: AsyncStore
    clock: Clock = utc_now
    poll_interval: float = 300.0
    #: Answers being worked on after their request was acknowledged.
    answers: Background = field(default_factory=lambda: Background("answers"))
    #: ``time.monotonic()`` when the last request from Slack came in.
    last_request: float = 0.0
    #: The rules in force, for ``/order status`` (None where no watcher runs).
    rules: RulesView | None = None
    #: Told how long each ``/order`` took to answer: (subcommand, seconds). The metrics.
    on_command: Callable[[str, float], None] | None = None

    def answered(self, subcommand: str, seconds: float) -> None:
        """An ``/order`` was answered ``seconds`` after it reached its listener."""
        if self.on_command is None:
            return
        try:
            self.on_command(subcommand, seconds)
        except Exception:
            log.exception("on_command failed (the answer went out)")

    #: Tell the notifier that a press queued messages (the runtime sets it to
    #: ``Notifier.wake``; a process without one leaves them to the writer's next pass).
    wake_outbox: Callable[[], None] = lambda: None

    def saw_request(self) -> None:
        """Note a request from Slack (a Bolt middleware calls this for every one)."""
        self.last_request = time.monotonic()

    async def acks_first(self) -> None:
        """Wait until Slack's requests pause (at most ``ACKS_FIRST_MAX_WAIT``): Slack's 3 s
        deadline is on acks, and an answer does not suffer from starting 20 ms later."""
        deadline = time.monotonic() + ACKS_FIRST_MAX_WAIT
        while True:  # waiting for the absence of requests: a timer, not an event
            wait = min(self.last_request + ACKS_FIRST_QUIET, deadline) - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def later(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Work on an answer after the listener returned, so that Slack gets the ack first.

        Listeners ack and return at once (Bolt then sends the ack without polling for it);
        the answer follows through ``respond()``. ``work`` must answer its own failures.
        """

        async def answer() -> None:
            await self.acks_first()
            await work

        task = self.answers.spawn(answer(), name)
        task.add_done_callback(lambda _task: work.close())  # cancelled before it started
        return task

    async def drain(self, grace: float = 10.0) -> None:
        """Let the answers in flight finish (up to ``grace`` s), then cancel the rest."""
        await self.answers.drain(grace)
