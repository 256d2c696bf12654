"""Availability windows, at fixed instants: these tests pass at any hour on any day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingram.windows import COUNTRIES, is_available, next_opening

# 2026-11-23 is a Monday; November, so Europe is on winter time (London = UTC).
MON = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "when", "open_"),
    [
        ("UK", at(23, 5, 59), False),
        ("UK", at(23, 6, 0), True),
        ("UK", at(23, 23, 59), True),
        ("UK", at(24, 0, 29), True),  # Monday's window runs to 00:30 Tuesday
        ("UK", at(24, 0, 30), False),
        ("UK", at(28, 0, 15), True),  # Friday's window reaches into Saturday
        ("UK", at(28, 12, 0), False),  # Saturday
        ("UK", at(23, 0, 15), False),  # Sunday's (non-)window does not reach Monday
        ("ES", at(23, 23, 59), True),  # 00:59 Tuesday in Madrid, before the 01:00 close
        ("ES", at(24, 0, 30), False),  # 01:30 in Madrid
        ("DE", at(23, 22, 30), False),  # 23:30 CET
        ("DE", at(23, 4, 0), True),  # 05:00 CET
        ("BE", at(23, 0, 0), True),  # 01:00 CET Monday, all day
        ("BE", at(22, 22, 59), False),  # Sunday 23:59 CET
        ("FR", at(23, 22, 59), True),  # 23:59 CET
        ("FR", at(23, 23, 0), False),  # 00:00 CET Tuesday
        ("GB", at(23, 12, 0), True),  # an alias of UK
    ],
)
def test_is_available(country: str, when: datetime, open_: bool) -> None:
    assert is_available(country, when) is open_


def test_next_opening_on_a_weekend_is_monday_morning_local_time() -> None:
    opens = next_opening("UK", at(28, 12, 0))
    assert opens.isoformat() == "2026-11-30T06:00:00+00:00"
    assert opens.strftime("%Z") == "GMT"
    assert next_opening("DE", at(28, 12, 0)).isoformat() == "2026-11-30T05:00:00+01:00"


def test_next_opening_when_open_is_now() -> None:
    now = at(23, 12, 0)
    assert next_opening("UK", now) == now


def test_daylight_saving_is_the_zone_database_s_business() -> None:
    # In July London is on BST: 06:00 local is 05:00 UTC.
    assert not is_available("UK", datetime(2026, 7, 6, 4, 59, tzinfo=UTC))
    assert is_available("UK", datetime(2026, 7, 6, 5, 0, tzinfo=UTC))


def test_every_spec_country_has_a_window() -> None:
    assert set(COUNTRIES) == {
        "AT",
        "BE",
        "CH",
        "DE",
        "ES",
        "FR",
        "HU",
        "IT",
        "NL",
        "PT",
        "SE",
        "UK",
    }
    for country in COUNTRIES:
        assert is_available(country, MON.replace(hour=10))


def test_naive_datetimes_are_utc() -> None:
    assert is_available("UK", datetime(2026, 11, 23, 12, 0))
