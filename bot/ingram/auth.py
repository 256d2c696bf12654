"""OAuth 2.0 client-credentials tokens for Ingram Micro, cached and refreshed once for all.

Ingram issues a token valid for 24 hours (``expires_in`` arrives as a string of seconds).
``TokenCache`` keeps it until shortly before it expires; concurrent callers that find no
valid token share a single refresh, so 200 lookups started at once cost one token request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock, utc_now
from bot.ingram.errors import ResponseFormatError
from bot.log import add_secrets

#: Assumed lifetime when a token response omits ``expires_in`` (the spec's sample value).
DEFAULT_LIFETIME = 86399
#: Refresh this long before expiry at most (less for short-lived tokens: a tenth of the life).
REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Token:
    """An access token and when it stops being valid. Its repr never shows the value."""

    value: str = field(repr=False)
    expires_at: datetime
    lifetime: timedelta

    def fresh(self, now: datetime) -> bool:
        """True while the token is valid for longer than the refresh margin."""
        margin = min(REFRESH_MARGIN, self.lifetime / 10)
        return now < self.expires_at - margin


def parse_token_response(data: Any, now: datetime) -> Token:
    """Read the token endpoint's JSON: ``access_token`` and ``expires_in`` (string or number)."""
    if not isinstance(data, dict) or not str(data.get("access_token") or "").strip():
        raise ResponseFormatError("the token response has no access_token")
    raw = data.get("expires_in", DEFAULT_LIFETIME)
    try:
        seconds = int(float(str(raw).strip()))
    except ValueError:
        raise ResponseFormatError(f"the token response has expires_in={raw!r}") from None
    lifetime = timedelta(seconds=max(seconds, 1))
    return Token(str(data["access_token"]).strip(), now + lifetime, lifetime)


class TokenCache:
    """Hands out a valid access token, fetching a new one only when needed.

    ``fetch`` performs the token request; it is called at most once at a time.
    """

    def __init__(self, fetch: Callable[[], Awaitable[Token]], *, clock: Clock = utc_now) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: Token | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        state = f"expires {self._token.expires_at.isoformat()}" if self._token else "empty"
        return f"<TokenCache {state}>"

    async def get(self) -> str:
        """A token that is valid now; refreshed (once, for all waiters) when it is not."""
        token = self._token
        if token is not None and token.fresh(self._clock()):
            return token.value
        async with self._lock:
            token = self._token
            if token is None or not token.fresh(self._clock()):
                token = self._token = await self._fetch()
                add_secrets([token.value])  # an upstream that echoes it is masked too
            return token.value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` (after Ingram refused it); a newer token is left alone."""
        if self._token is not None and self._token.value == value:
            self._token = None
