"""Health rules for /healthz, at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.health import outbox_health, poller_health
from bot.store import OutboxStats, PollRow

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def poll(minutes_ago: float, ok: bool = True, error: str | None = None) -> PollRow:
    at = NOW - timedelta(minutes=minutes_ago)
    return PollRow(1, at, at, 1.0, 1, 1, 1, 0, 0, ok, error, False)


def check(**kw):
    options = dict(interval=300, last=None, last_ok=None, skipped=None, started_at=NOW, now=NOW)
    options.update(kw)
    return poller_health(**options)


def test_the_poller_is_healthy_after_a_recent_success() -> None:
    assert check(last=poll(4), last_ok=poll(4)).ok


def test_the_poller_is_unhealthy_when_successes_stop_and_says_why() -> None:
    part = check(last=poll(1, False, "Ingram down"), last_ok=poll(40))
    assert not part.ok
    assert "Ingram down" in part.detail


def test_waiting_for_the_first_poll_is_healthy_for_a_while() -> None:
    assert check(started_at=NOW - timedelta(minutes=2)).ok
    assert not check(started_at=NOW - timedelta(hours=1)).ok


def test_off_and_paused_pollers_are_healthy() -> None:
    assert check(interval=0).ok
    assert check(skipped="outside window", started_at=NOW - timedelta(days=2)).ok


def test_outbox_backlog() -> None:
    assert outbox_health(OutboxStats(3, NOW - timedelta(minutes=1), 2), NOW).ok
    assert not outbox_health(OutboxStats(500, NOW, 0), NOW).ok
    stale = outbox_health(OutboxStats(1, NOW - timedelta(hours=1), 0), NOW)
    assert not stale.ok and "waited" in stale.detail
