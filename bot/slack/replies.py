"""Every failure inside a listener becomes a readable answer in Slack, never a stack trace."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.ingram.errors import IngramError, InvalidArgumentError
from bot.slack.blocks import Message, error_message, help_message

log = logging.getLogger("orderbot.slack")

Respond = Callable[..., Awaitable[Any]]


async def send(respond: Respond, message: Message, **options: Any) -> None:
    """``respond`` with a message; a failure to reach Slack is logged, not raised."""
    try:
        await respond(**message.payload(**options))
    except Exception as exc:  # the response_url may have expired, or Slack be down
        log.warning("could not answer through response_url: %s", type(exc).__name__)


@asynccontextmanager
async def answering_failures(respond: Respond, what: str, **options: Any) -> AsyncIterator[None]:
    """Turn any exception of the block into an answer the user can act on.

    Ingram's typed errors carry their own advice; anything unexpected is logged with a short
    reference that the answer quotes, so an admin can find it.
    """
    try:
        yield
    except InvalidArgumentError as exc:
        await send(respond, help_message(str(exc)), **options)
    except IngramError as exc:
        log.info("%s failed: %s", what, exc)
        await send(respond, error_message(str(exc)), **options)
    except Exception:
        reference = secrets.token_hex(4)
        log.exception("%s failed unexpectedly (reference %s)", what, reference)
        await send(
            respond,
            error_message(
                f"Something went wrong inside orderbot while doing {what} (reference {reference})."
                " Try again; if it keeps happening, give the reference to your orderbot admin."
            ),
            **options,
        )
