"""Connecting to Slack at start-up: the bot token (``auth.test``) and, in Socket Mode, the
app-level token (``apps.connections.open``).

Two kinds of failure, two answers. Slack refusing a token (``invalid_auth``, ``token_revoked``,
``not_allowed_token_type`` ...) will not change by waiting: ``StartupError`` at once, naming
the variable. Slack out of reach (a network error, a timeout, a 5xx, a rate limit, an answer
that is not Slack's JSON) is retried with backoff for as long as it takes, each failure logged
as one line; ``SlackConnection.problem`` says what is going on, for ``/healthz``, meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from slack_sdk.errors import SlackApiError

from bot.config import StartupError

log = logging.getLogger("orderbot.slack")

T = TypeVar("T")

#: Slack errors that say "try again later" (every other ``ok: false`` answer is a refusal).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

#: What to say when Slack refuses the token in each variable ({error} is Slack's code).
REFUSED = {
    "SLACK_BOT_TOKEN": (
        "Slack refused SLACK_BOT_TOKEN ({error}). Copy the Bot User OAuth Token (xoxb-...)"
        " from the app's OAuth & Permissions page, and reinstall the app if it was revoked."
    ),
    "SLACK_APP_TOKEN": (
        "Slack refused SLACK_APP_TOKEN ({error}) for the Socket Mode connection. Generate an"
        " App-Level Token with the connections:write scope (the app's Basic Information >"
        " App-Level Tokens) and set SLACK_APP_TOKEN to it, or unset it for HTTP mode."
    ),
}


def refusal(exc: BaseException) -> str | None:
    """Slack's error code when Slack answered and refused for good; None when the failure is
    worth another try (no answer, a 5xx or 429, a transient error, not Slack's JSON)."""
    if not isinstance(exc, SlackApiError) or exc.response is None:
        return None
    data = exc.response.data
    error = data.get("error") if isinstance(data, dict) else None
    if not error or error in TRANSIENT_ERRORS or exc.response.status_code >= 500:
        return None
    return str(error)


def _retry_after(exc: BaseException) -> float | None:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        value = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get(
            "retry-after"
        )
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None
    return None


def describe(exc: BaseException) -> str:
    """A failure in a few words, never with a token in it."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        data = exc.response.data
        error = data.get("error") if isinstance(data, dict) else None
        said = f", {error}" if error else ", not Slack's JSON"
        return f"HTTP {exc.response.status_code}{said}"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return type(exc).__name__


class SlackConnection:
    """Start-up's way to Slack: ``retry`` a call until Slack answers it or refuses it.

    ``problem`` is what ``/healthz`` says about Slack until ``connected()``: why the last try
    failed and when the next one is. Delays double from ``first_delay`` up to ``max_delay``
    (half fixed, half random, so that many bots restarting together do not retry together);
    a 429's ``Retry-After`` is obeyed.
    """

    def __init__(
        self,
        *,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.problem: str | None = "connecting to Slack"
        self.failures = 0
        self._rng = rng or random.Random()

    def connected(self) -> None:
        self.problem = None

    async def retry(self, what: str, variable: str, call: Callable[[], Awaitable[T]]) -> T:
        """``await call()`` until it succeeds; ``StartupError`` naming ``variable`` when Slack
        refuses; ``what`` names the call in the log and in ``problem``."""
        delay = self.first_delay
        while True:
            self.problem = f"connecting to Slack: {what}"
            try:
                return await call()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = refusal(exc)
                if error is not None:
                    raise StartupError(REFUSED[variable].format(error=error)) from None
                self.failures += 1
                wait = _retry_after(exc)
                if wait is None:
                    wait = delay / 2 + self._rng.uniform(0, delay / 2)
                    delay = min(delay * 2, self.max_delay)
                self.problem = (
                    f"cannot reach Slack: {what} failed ({describe(exc)}); trying again in"
                    f" {wait:.1f} s (check SLACK_API_URL and the network)"
                )
                log.warning("%s", self.problem)
                await asyncio.sleep(wait)
