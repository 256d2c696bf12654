"""Reading Retry-After and friends, whatever the server's spelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.headers import header, retry_after_seconds

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_header_names_are_case_insensitive() -> None:
    assert header({"x-ratelimit-remaining": " 0 "}, "X-RateLimit-Remaining") == "0"
    assert header({"Retry-After": 3}, "retry-after") == "3"
    assert header({}, "Retry-After") is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), ("inf", None), ("", None)],
)
def test_retry_after_in_seconds(value: str, seconds: float | None) -> None:
    assert retry_after_seconds({"retry-after": value}, NOW) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds({"Retry-After": later}, NOW) == 30.0
    assert retry_after_seconds({}, NOW) is None
