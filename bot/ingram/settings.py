"""What an ``IngramClient`` needs to know: which account, where, and how patiently.

A plain value object, so that the client can be used on its own: the bot builds one from its
environment (``bot.config.load_ingram``), a script or a test builds one by hand. The
credentials never appear in its repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://api.ingrammicro.com"


@dataclass(frozen=True)
class IngramSettings:
    """How to reach Ingram Micro, and as whom.

    ``base_url`` is the host: the token URL is ``{base_url}/oauth/oauth30/token`` and the APIs
    live under ``{base_url}/resellers/v5`` (``{base_url}/sandbox/resellers/v5`` with
    ``sandbox``). ``timeout`` bounds every call, ``rate_limit`` is the process's calls per
    60 s, and ``windows_enforced=False`` turns the availability-window check off.
    """

    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    customer_number: str
    country: str
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False
    timeout: float = 30.0
    rate_limit: int = 60
    windows_enforced: bool = True

    @property
    def api_root(self) -> str:
        """The URL the order APIs' paths start from."""
        return f"{self.base_url.rstrip('/')}{'/sandbox' if self.sandbox else ''}/resellers/v5"

    @property
    def token_url(self) -> str:
        """The OAuth 2.0 client-credentials token endpoint."""
        return f"{self.base_url.rstrip('/')}/oauth/oauth30/token"
