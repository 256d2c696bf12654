"""The timing keys of a rule: durations, and hours with their next opening (time is a
parameter: these run the same at any hour and weekday)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.watch.rules_loading import load_rules
from bot.watch.rules_timing import Hours, parse_days, parse_duration

#: A Friday, 17:30 in London (winter: UTC).
FRIDAY_EVENING = datetime(2024, 1, 12, 17, 30, tzinfo=UTC)


def test_durations_are_a_number_and_a_unit() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("10m") == timedelta(minutes=10)
    assert parse_duration(" 4h ") == timedelta(hours=4)
    assert parse_duration("1d") == timedelta(days=1)
    for wrong in ("10", "4 hours", "1w", "0s", "-5m", "", None, True, 1.5):
        assert parse_duration(wrong) is None, wrong


def test_days_read_ranges_lists_and_wrapping() -> None:
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("mon,wed,fri") == frozenset({0, 2, 4})
    assert parse_days(["sat", "sun"]) == frozenset({5, 6})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("mon-fry") is None


def test_hours_open_and_next_open_in_their_own_zone(tmp_path: Path) -> None:
    rules = """
rules:
  - name: credit-holds
    on: hold_placed
    channel: "#credit-alerts"
    settle: 10m
    remind_after: 4h
    remind_every: 1d
    hours: {days: mon-fri, from: "08:00", to: "18:00", timezone: Europe/London}
"""
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    (rule,) = load_rules(path).rules
    assert rule.settle == timedelta(minutes=10)
    assert (rule.remind_after, rule.remind_every) == (timedelta(hours=4), timedelta(days=1))
    hours = rule.hours
    assert isinstance(hours, Hours)
    assert hours.is_open(FRIDAY_EVENING)
    late = FRIDAY_EVENING + timedelta(hours=1)
    assert not hours.is_open(late)
    assert hours.next_open(late) == datetime(2024, 1, 15, 8, 0, tzinfo=UTC)  # Monday 08:00
    summer = datetime(2024, 7, 10, 6, 30, tzinfo=UTC)  # 07:30 in London (BST)
    assert hours.next_open(summer) == datetime(2024, 7, 10, 7, 0, tzinfo=UTC)
    assert Hours.from_text(hours.text) == hours


def test_hours_past_midnight() -> None:
    night = Hours.from_text("mon-fri 22:00-06:00 UTC")
    assert night is not None
    assert night.is_open(datetime(2024, 1, 12, 23, 0, tzinfo=UTC))  # Friday night
    assert night.is_open(datetime(2024, 1, 13, 5, 0, tzinfo=UTC))  # Saturday morning: Friday's
    assert not night.is_open(datetime(2024, 1, 13, 23, 0, tzinfo=UTC))  # Saturday night
