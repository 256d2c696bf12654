"""The hold watcher's snapshot: every shipment of the lookback window as last read, with when
it was first and last seen and since when it has had its hold code.

``SuborderState`` is the shape of a snapshot row. It lives here, below the watcher, because
the store reads and writes it: the watcher's diff (``bot.watch.changes``) compares them and
imports it from here, so the store never imports the watcher.

A poll writes the snapshot inside its one transaction (``bot.store.polls.save_poll`` calls
``write_readings`` and ``prune``); ``/order holds`` reads it through ``current_holds``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.ingram.models import ShipmentCodes
from bot.store._sql import dict_rows, optional_time


@dataclass(frozen=True, slots=True)
class SuborderState(ShipmentCodes):
    """One shipment as the watcher remembers it: one row of the snapshot.

    ``entrytimestamp`` is the order's entry time as ``bot.clock.iso`` writes it, or "" when
    the API gave none. Codes are as the API sent them (blank = "").
    """

    subordernumber: str
    ordernumber: str
    customerordernumber: str = ""
    entrytimestamp: str = ""
    statuscode: str = ""
    status: str = ""
    holdreasoncode: str = ""
    holdreason: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One shipment in the snapshot, with when the watcher first and last saw it and since
    when it has had its current hold code (None when it is not on hold)."""

    subordernumber: str
    ordernumber: str
    customerordernumber: str
    entrytimestamp: str
    statuscode: str
    status: str
    holdreasoncode: str
    holdreason: str
    first_seen: datetime
    last_seen: datetime
    hold_since: datetime | None

    @property
    def state(self) -> SuborderState:
        """The row as the diff sees it."""
        return SuborderState(
            self.subordernumber,
            self.ordernumber,
            self.customerordernumber,
            self.entrytimestamp,
            self.statuscode,
            self.status,
            self.holdreasoncode,
            self.holdreason,
        )

    @property
    def entry_time(self) -> datetime | None:
        """The order's entry time, if the API gave one."""
        return optional_time(self.entrytimestamp)

    @property
    def status_text(self) -> str:
        """The API's status text, or the spec's description."""
        return self.state.status_text

    @property
    def hold_text(self) -> str:
        """The API's hold reason text, or the spec's description."""
        return self.state.hold_text

    @classmethod
    def _from(cls, r: dict[str, Any]) -> SnapshotRow:
        return cls(
            r["subordernumber"],
            r["ordernumber"],
            r["customerordernumber"],
            r["entrytimestamp"],
            r["statuscode"],
            r["status"],
            r["holdreasoncode"],
            r["holdreason"],
            from_iso(r["first_seen"]),
            from_iso(r["last_seen"]),
            optional_time(r["hold_since"]),
        )


# The columns of a SuborderState, in its field order.
_SELECT_STATES = (
    "SELECT subordernumber, ordernumber, customerordernumber, entrytimestamp, statuscode,"
    " status, holdreasoncode, holdreason FROM snapshot"
)

# One statement for every shipment read: new ones are inserted, known ones get their
# fields and last_seen refreshed; first_seen is never touched; hold_since keeps its time
# while the hold code stays the same, restarts when it changes, and is NULL without a hold.
_UPSERT_SNAPSHOT = """
INSERT INTO snapshot (subordernumber, ordernumber, customerordernumber, entrytimestamp,
                      statuscode, status, holdreasoncode, holdreason,
                      first_seen, last_seen, hold_since)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, CASE WHEN ?7 = '' THEN NULL ELSE ?9 END)
ON CONFLICT (subordernumber) DO UPDATE SET
    ordernumber = excluded.ordernumber,
    customerordernumber = excluded.customerordernumber,
    entrytimestamp = excluded.entrytimestamp,
    statuscode = excluded.statuscode,
    status = excluded.status,
    holdreasoncode = excluded.holdreasoncode,
    holdreason = excluded.holdreason,
    last_seen = excluded.last_seen,
    hold_since = CASE
        WHEN excluded.holdreasoncode = '' THEN NULL
        WHEN snapshot.holdreasoncode = excluded.holdreasoncode
             AND snapshot.hold_since IS NOT NULL THEN snapshot.hold_since
        ELSE excluded.last_seen
    END
"""


def load_snapshot(db: Database) -> dict[str, SuborderState]:
    """Every shipment the watcher knows, keyed by suborder number, as the diff wants it.

    Repeated values (order number, PO, entry time, codes and texts) share one string object
    each: a third less memory for 100,000 rows.
    """
    texts: dict[str, str] = {}
    share = texts.setdefault
    return {
        row[0]: SuborderState(row[0], *(share(v, v) for v in row[1:]))
        for row in db.execute(_SELECT_STATES)
    }


def snapshot_count(db: Database) -> int:
    """How many shipments the snapshot holds (0 means the next poll is a baseline)."""
    return int(db.execute("SELECT count(*) FROM snapshot").fetchone()[0])


def get_snapshot_row(db: Database, subordernumber: str) -> SnapshotRow | None:
    """One shipment of the snapshot, if known."""
    rows = list(dict_rows(db, "SELECT * FROM snapshot WHERE subordernumber = ?", [subordernumber]))
    return SnapshotRow._from(rows[0]) if rows else None


def write_readings(conn: sqlite3.Connection, current: Iterable[SuborderState], at: str) -> None:
    """Upsert every shipment a poll read, seen at ``at`` (part of the poll's transaction)."""
    conn.executemany(
        _UPSERT_SNAPSHOT,
        (
            (
                s.subordernumber,
                s.ordernumber,
                s.customerordernumber,
                s.entrytimestamp,
                s.statuscode,
                s.status,
                s.holdreasoncode,
                s.holdreason,
                at,
            )
            for s in current
        ),
    )


def prune(conn: sqlite3.Connection, before: datetime, at: str) -> None:
    """Delete the shipments entered before ``before`` (the start of the lookback window)
    that the poll of ``at`` did not see; part of the poll's transaction.

    Only its entry time takes a shipment out: one that a poll did not list although it is
    still in the window stays (a short read must not make it "new" at the next poll), and
    one without an entry time stays until no poll has seen it for the whole window.
    """
    conn.execute(
        "DELETE FROM snapshot WHERE last_seen <> :at AND ("
        " (entrytimestamp <> '' AND entrytimestamp < :before)"
        " OR (entrytimestamp = '' AND last_seen < :before))",
        {"at": at, "before": iso(before)},
    )


_SELECT_HOLDS = (
    "SELECT * FROM snapshot WHERE holdreasoncode <> ''"
    " ORDER BY coalesce(hold_since, first_seen), ordernumber, subordernumber"
)
_SELECT_HOLDS_OF_CODE = (
    "SELECT * FROM snapshot WHERE holdreasoncode = ?"
    " ORDER BY coalesce(hold_since, first_seen), ordernumber, subordernumber"
)


def current_holds(db: Database, code: str | None = None) -> list[SnapshotRow]:
    """Shipments on hold now (optionally only hold reason ``code``), longest held first."""
    if code is None:
        rows = dict_rows(db, _SELECT_HOLDS)
    else:
        wanted = code.strip().upper()
        if not wanted:
            return []
        rows = dict_rows(db, _SELECT_HOLDS_OF_CODE, [wanted])
    return [SnapshotRow._from(r) for r in rows]


def hold_counts(db: Database) -> dict[str, int]:
    """How many shipments are on hold now, by hold reason code (deleted orders, ``VO``,
    included), from the snapshot."""
    rows = db.execute(
        "SELECT holdreasoncode, count(*) FROM snapshot WHERE holdreasoncode <> ''"
        " GROUP BY holdreasoncode ORDER BY holdreasoncode"
    )
    return {str(code): int(count) for code, count in rows}


def hold_started(db: Database) -> dict[str, datetime]:
    """Since when each shipment on hold in the snapshot has had its hold code."""
    return {
        sub: from_iso(since)
        for sub, since in db.execute(
            "SELECT subordernumber, hold_since FROM snapshot WHERE hold_since IS NOT NULL"
        )
    }
