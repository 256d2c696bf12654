"""The answer Slack gives instead of ``ok: true``, raised wherever the stand-in refuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """An answer Slack gives instead of ``ok: true``."""

    def __init__(
        self,
        error: str,
        status: int = 200,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
