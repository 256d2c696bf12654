"""Ingram Micro's API availability windows ("System Availability" in both specs), as data.

The APIs are available on weekdays between two local times per country. A window whose end
is not after its start runs past midnight into the next day (ES/PT 06:00 to 01:00), and
``00:00`` to ``00:00`` is the whole day (BE/NL). Weekends and public holidays are outside
every window ("availability may be limited"). Time is always an argument here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Window:
    """A country's weekday availability window in its local time."""

    timezone: str
    opens: time
    closes: time

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        return (
            f"weekdays {self.opens.strftime('%H:%M')}-{self.closes.strftime('%H:%M')}"
            f" {self.timezone} time"
        )

    def span(self, day: date) -> tuple[datetime, datetime]:
        """The window that opens on ``day`` (local), as aware datetimes."""
        zone = self.zone
        start = datetime.combine(day, self.opens, tzinfo=zone)
        end_day = day if self.closes > self.opens else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.closes, tzinfo=zone)


def _w(tz: str, opens: str, closes: str) -> Window:
    return Window(tz, time.fromisoformat(opens), time.fromisoformat(closes))


#: Weekday availability per ISO country code, from the specs' "System Availability" table.
WINDOWS: dict[str, Window] = {
    "BE": _w("Europe/Brussels", "00:00", "00:00"),
    "NL": _w("Europe/Amsterdam", "00:00", "00:00"),
    "AT": _w("Europe/Vienna", "05:00", "23:00"),
    "CH": _w("Europe/Zurich", "05:00", "23:00"),
    "DE": _w("Europe/Berlin", "05:00", "23:00"),
    "HU": _w("Europe/Budapest", "05:00", "23:00"),
    "SE": _w("Europe/Stockholm", "05:00", "23:00"),
    "ES": _w("Europe/Madrid", "06:00", "01:00"),
    "PT": _w("Europe/Lisbon", "06:00", "01:00"),
    "FR": _w("Europe/Paris", "05:00", "00:00"),
    "IT": _w("Europe/Rome", "05:00", "00:00"),
    "UK": _w("Europe/London", "06:00", "00:30"),
}

#: Other spellings users write for a country Ingram knows by another code.
ALIASES: dict[str, str] = {"GB": "UK"}

COUNTRIES: tuple[str, ...] = tuple(sorted(WINDOWS))


def normalize_country(country: str) -> str:
    """The code Ingram uses for a country (``gb`` -> ``UK``); unknown codes uppercased."""
    code = country.strip().upper()
    return ALIASES.get(code, code)


def window_for(country: str) -> Window:
    """The availability window of a country; ``KeyError`` for a country the spec omits."""
    return WINDOWS[normalize_country(country)]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def is_available(country: str, when: datetime) -> bool:
    """True when Ingram's APIs for ``country`` are inside their window at ``when``."""
    window = window_for(country)
    local = _aware(when).astimezone(window.zone)
    for day in (local.date() - timedelta(days=1), local.date()):
        if day.weekday() >= 5:
            continue
        start, end = window.span(day)
        if start <= local < end:
            return True
    return False


def next_opening(country: str, when: datetime) -> datetime:
    """When the window next opens, in the country's local time; ``when`` itself if open now."""
    window = window_for(country)
    local = _aware(when).astimezone(window.zone)
    if is_available(country, local):
        return local
    day = local.date()
    for offset in range(8):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() >= 5:
            continue
        start, _end = window.span(candidate)
        if start > local:
            return start
    raise AssertionError("a weekday window opens within a week")  # pragma: no cover
