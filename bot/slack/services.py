"""What the Slack listeners need from the rest of orderbot, in one object."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock, utc_now
from bot.orders import OrderService
from bot.store import AsyncStore

#: A Bolt listener; Bolt passes the arguments it names (ack, body, respond, ...).
Listener = Callable[..., Awaitable[None]]


@dataclass
class Services:
    """The use cases and state the listeners work with; built once by the runtime."""

    orders: OrderService
    store: AsyncStore
    clock: Clock = utc_now
    poll_interval: float = 300.0
