"""The Ingram sandbox's OAuth side: its app credentials and the access tokens it issues.

Tokens expire by the time given (the state's clock), so a ``ManualClock`` can age them.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

SANDBOX_CLIENT_ID = "orderbot-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's published demo secret

_TOKEN_ALPHABET = string.ascii_letters + string.digits


@dataclass
class _Token:
    app: str
    expires_at: datetime


class Tokens:
    """The access tokens issued so far, each valid for ``ttl`` seconds from its issue."""

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl
        self._tokens: dict[str, _Token] = {}

    def issue(self, app: str, now: datetime) -> str:
        """A new access token for ``app``, valid for ``ttl`` seconds from ``now``."""
        token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(28))
        self._tokens[token] = _Token(app, now + timedelta(seconds=self.ttl))
        return token

    def expire_all(self, now: datetime) -> None:
        """Make every token issued so far expired by ``now`` (as if 24 hours had passed)."""
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)

    def check(self, header: str | None, now: datetime) -> tuple[str | None, str | None]:
        """(app, None) for a valid bearer token, else (None, "invalid" | "expired")."""
        if not header:
            return None, "invalid"
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None, "invalid"
        token = self._tokens.get(value.strip())
        if token is None:
            return None, "invalid"
        if now >= token.expires_at:
            return None, "expired"
        return token.app, None

    def __iter__(self) -> Iterator[str]:
        """The tokens issued so far (expired ones too)."""
        return iter(self._tokens)
