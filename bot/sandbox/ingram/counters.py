"""What the Ingram sandbox has seen: calls counted on arrival, and every request answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class RecordedRequest(NamedTuple):
    """A request the sandbox answered (status 0: the connection was dropped), with the
    query string as sent (names in their case) and the ``Content-Type`` header ("": none)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    content_type: str = ""


@dataclass
class Counters:
    """What the sandbox has seen. Calls are counted on arrival, whatever the answer."""

    token_requests: int = 0
    search_calls: int = 0
    delete_calls: int = 0
    #: 429 answers sent (by the rate limit or by a fault).
    rate_limited: int = 0
    #: Token and API requests (not control API ones), in order; the token form is not kept.
    requests: list[RecordedRequest] = field(default_factory=list)

    def as_json(self) -> dict[str, int]:
        return {
            "token_requests": self.token_requests,
            "search_calls": self.search_calls,
            "delete_calls": self.delete_calls,
            "rate_limited": self.rate_limited,
            "requests": len(self.requests),
        }
