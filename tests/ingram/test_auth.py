"""The token cache: one refresh for all concurrent callers, refreshed before expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.ingram.auth import Token, TokenCache, parse_token_response
from bot.ingram.errors import ResponseFormatError


def test_expires_in_arrives_as_a_string() -> None:
    clock = ManualClock()
    token = parse_token_response(
        {
            "access_token": "m13aA1Z62Yi1R6k634h19Ga84lmz",
            "token_type": "Bearer",
            "expires_in": "86399",
        },
        clock(),
    )
    assert token.expires_at == clock() + timedelta(seconds=86399)
    assert "m13a" not in repr(token)


@pytest.mark.parametrize(
    "body", [{}, {"access_token": ""}, ["x"], {"access_token": "a", "expires_in": "soon"}]
)
def test_a_bad_token_response_is_a_readable_error(body: object) -> None:
    with pytest.raises(ResponseFormatError):
        parse_token_response(body, ManualClock()())


async def test_concurrent_callers_share_one_refresh() -> None:
    clock = ManualClock()
    fetches = 0

    async def fetch() -> Token:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.01)
        return Token(f"t{fetches}", clock() + timedelta(hours=24), timedelta(hours=24))

    cache = TokenCache(fetch, clock=clock)
    tokens = await asyncio.gather(*(cache.get() for _ in range(200)))
    assert set(tokens) == {"t1"}
    assert fetches == 1


async def test_refreshed_shortly_before_expiry_and_after_invalidate() -> None:
    clock = ManualClock()
    fetches = 0

    async def fetch() -> Token:
        nonlocal fetches
        fetches += 1
        return Token(f"t{fetches}", clock() + timedelta(hours=24), timedelta(hours=24))

    cache = TokenCache(fetch, clock=clock)
    assert await cache.get() == "t1"
    clock.advance(hours=23, minutes=54)
    assert await cache.get() == "t1"
    clock.advance(minutes=1, seconds=1)  # within five minutes of expiry
    assert await cache.get() == "t2"
    cache.invalidate("t1")  # an old token: nothing happens
    assert await cache.get() == "t2"
    cache.invalidate("t2")
    assert await cache.get() == "t3"
    assert "t3" not in repr(cache)


async def test_a_failed_refresh_is_raised_to_every_waiter_and_retried_next_time() -> None:
    calls = 0

    async def fetch() -> Token:
        nonlocal calls
        calls += 1
        raise ResponseFormatError("nope")

    cache = TokenCache(fetch, clock=ManualClock())
    with pytest.raises(ResponseFormatError):
        await cache.get()
    with pytest.raises(ResponseFormatError):
        await cache.get()
    assert calls == 2
