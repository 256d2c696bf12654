"""Who is on an order's holds, and whether its reminders are snoozed: one row per order.

Owners and snoozes belong to the order, not to a card: every card and every lookup of the
order shows them. ``take`` decides a press of "I'm on it" atomically, against the owner the
presser saw (the button carries it): two people pressing at once cannot both take the order,
and a press on a card that changed meanwhile is refused instead of doing what the presser
did not see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlite_utils import Database

from bot.clock import iso
from bot.store._sql import dict_rows, optional_time


@dataclass(frozen=True, slots=True)
class Owner:
    """Who is on an order (``owner_id`` None: nobody) and its snooze: until a time, or until
    the order next changes (``snooze_until_change``), set by ``snoozed_by``."""

    ordernumber: str
    owner_id: str | None
    owner_name: str | None
    owner_since: datetime | None
    snoozed_by: str | None
    snoozed_at: datetime | None
    snooze_until: datetime | None
    snooze_until_change: bool
    changed_at: datetime | None = None

    def snoozed(self, now: datetime) -> bool:
        """True while reminders are snoozed."""
        if self.snooze_until_change:
            return True
        return self.snooze_until is not None and self.snooze_until > now

    @classmethod
    def _from(cls, r: dict[str, Any]) -> Owner:
        return cls(
            r["ordernumber"],
            r["owner_id"],
            r["owner_name"],
            optional_time(r["owner_since"]),
            r["snoozed_by"],
            optional_time(r["snoozed_at"]),
            optional_time(r["snooze_until"]),
            bool(r["snooze_until_change"]),
            optional_time(r["changed_at"]),
        )


class Take(Enum):
    """What a press of "I'm on it" did."""

    TAKEN = "taken"  # nobody was on it; now the presser is
    TAKEN_OVER = "taken over"  # someone was, as the presser saw; now the presser is
    LET_GO = "let go"  # the presser was on it, and no longer is
    CHANGED = "changed"  # someone else took or let go since the presser's card was drawn


@dataclass(frozen=True, slots=True)
class TakeResult:
    """The outcome of a press, the owner now and the owner before it."""

    outcome: Take
    owner: Owner
    previous_id: str | None
    previous_name: str | None


def get_owner(db: Database, ordernumber: str) -> Owner | None:
    rows = list(dict_rows(db, "SELECT * FROM owners WHERE ordernumber = ?", [ordernumber]))
    return Owner._from(rows[0]) if rows else None


def owners_of(db: Database, ordernumbers: Iterable[str]) -> dict[str, Owner]:
    """The owner rows of these orders (orders nobody ever took or snoozed have none)."""
    found: dict[str, Owner] = {}
    for number in dict.fromkeys(ordernumbers):
        owner = get_owner(db, number)
        if owner is not None:
            found[number] = owner
    return found


def _blank(ordernumber: str) -> Owner:
    return Owner(ordernumber, None, None, None, None, None, None, False)


def take(
    db: Database,
    ordernumber: str,
    *,
    user_id: str,
    user_name: str,
    expected_owner: str | None,
    now: datetime,
) -> TakeResult:
    """A press of "I'm on it" by ``user_id`` on a card that showed ``expected_owner`` (None:
    nobody): the owner lets go; anyone else takes the order (over from the owner the card
    showed). If the owner is no longer the one the card showed, nothing changes (``CHANGED``).
    Call it inside a write transaction."""
    current = get_owner(db, ordernumber) or _blank(ordernumber)
    if current.owner_id != (expected_owner or None):
        return TakeResult(Take.CHANGED, current, current.owner_id, current.owner_name)
    when = iso(now)
    if current.owner_id == user_id:
        outcome, owner_id, owner_name, since = Take.LET_GO, None, None, None
    else:
        outcome = Take.TAKEN_OVER if current.owner_id else Take.TAKEN
        owner_id, owner_name, since = user_id, user_name, when
    db.execute(
        "INSERT INTO owners (ordernumber, owner_id, owner_name, owner_since, changed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (ordernumber) DO UPDATE SET"
        " owner_id = excluded.owner_id, owner_name = excluded.owner_name,"
        " owner_since = excluded.owner_since, changed_at = excluded.changed_at",
        [ordernumber, owner_id, owner_name, since, when],
    )
    owner = get_owner(db, ordernumber)
    assert owner is not None
    return TakeResult(outcome, owner, current.owner_id, current.owner_name)


def snooze(
    db: Database,
    ordernumber: str,
    *,
    user_id: str,
    until: datetime | None,
    until_change: bool,
    now: datetime,
) -> Owner:
    """Snooze an order's reminders until ``until``, or until the order next changes."""
    when = iso(now)
    db.execute(
        "INSERT INTO owners (ordernumber, snoozed_by, snoozed_at, snooze_until,"
        " snooze_until_change, changed_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (ordernumber) DO UPDATE SET snoozed_by = excluded.snoozed_by,"
        " snoozed_at = excluded.snoozed_at, snooze_until = excluded.snooze_until,"
        " snooze_until_change = excluded.snooze_until_change, changed_at = excluded.changed_at",
        [ordernumber, user_id, when, iso(until) if until else None, int(until_change), when],
    )
    owner = get_owner(db, ordernumber)
    assert owner is not None
    return owner


def end_change_snoozes(conn: sqlite3.Connection, ordernumbers: Iterable[str], at: str) -> None:
    """The orders changed: their snoozes "until it changes" end (part of a poll)."""
    conn.executemany(
        "UPDATE owners SET snooze_until_change = 0, snooze_until = NULL, changed_at = ?"
        " WHERE ordernumber = ? AND snooze_until_change = 1",
        [(at, number) for number in sorted(set(ordernumbers))],
    )
