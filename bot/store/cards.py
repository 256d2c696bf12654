"""Order cards: one message per (rule's channel, order) that orderbot keeps up to date in
Slack, and what a card shows that the snapshot does not keep.

* ``cards``: where each card is in Slack (its channel ID and ``ts``, which is also the thread
  the order's later alerts reply in), the rule that posted it and the latest headline. A card
  exists once its first post is delivered (``bot.store.outbox`` rows of kind ``alert``: the
  first one about an order in a channel posts the card).
* ``order_holds``: since when an order has had a shipment on hold, and when that ended, so a
  card can say how long the order was held. ``before_watching`` marks holds the first poll
  (the baseline) already saw: they began before orderbot was watching.
* ``readings``: an order as a Refresh press last read it from Ingram, newer than the snapshot
  until the next poll reads the order.

``order_view`` gathers what a card or a lookup shows of an order. Card updates are rows of
the outbox (kind ``card_update``): the notifier renders the card when it posts the update,
so an update always shows the latest state, and one pending update per card is enough
(``queue_card_update`` adds none while one is pending).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.ingram.codes import DELETED_HOLD
from bot.store._sql import dict_rows, optional_time
from bot.store.meta import get_meta, set_meta
from bot.store.outbox import CARD_UPDATE, PENDING
from bot.store.owners import Owner, get_owner
from bot.store.queueing import insert_rows, message_row
from bot.store.snapshot import SnapshotRow, SuborderState

#: The meta key of when orderbot started watching (the baseline poll's time).
WATCH_STARTED = "watch_started_at"


@dataclass(frozen=True, slots=True)
class Card:
    """One order's card in one rule's channel: where it is in Slack and what it last said."""

    channel: str
    ordernumber: str
    slack_channel: str
    ts: str
    rule: str
    headline: str
    posted_at: datetime
    updated_at: datetime | None

    @classmethod
    def _from(cls, r: dict[str, Any]) -> Card:
        return cls(
            r["channel"],
            r["ordernumber"],
            r["slack_channel"],
            r["ts"],
            r["rule"],
            r["headline"],
            from_iso(r["posted_at"]),
            optional_time(r["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class OrderHold:
    """Since when an order has had a shipment on hold (``released_at``: when none was any
    more); ``before_watching``: the first poll already saw it on hold."""

    ordernumber: str
    held_since: datetime
    before_watching: bool
    released_at: datetime | None

    @property
    def open(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True, slots=True)
class OrderView:
    """What a card (or a lookup) shows of an order: its shipments as last read (by a poll, or
    by a Refresh press when that is newer: ``refreshed_by``), since when it has been on hold,
    and who is on it."""

    ordernumber: str
    shipments: list[SnapshotRow]
    read_at: datetime | None
    refreshed_by: str | None
    hold: OrderHold | None
    owner: Owner | None
    watch_started: datetime | None = None

    @property
    def customerordernumber(self) -> str:
        return self.shipments[0].customerordernumber if self.shipments else ""

    @property
    def entrytimestamp(self) -> str:
        return self.shipments[0].entrytimestamp if self.shipments else ""

    @property
    def on_hold(self) -> list[SnapshotRow]:
        """The shipments on hold now (a deleted order's are not: it waits for nothing)."""
        return [s for s in self.shipments if s.state.on_hold and not s.state.deleted]

    @property
    def deleted(self) -> bool:
        return bool(self.shipments) and all(s.state.deleted for s in self.shipments)


# --- cards ---------------------------------------------------------------------------------


def get_card(db: Database, channel: str, ordernumber: str) -> Card | None:
    """The card of an order in a rule's channel, once posted."""
    rows = list(
        dict_rows(
            db, "SELECT * FROM cards WHERE channel = ? AND ordernumber = ?", [channel, ordernumber]
        )
    )
    return Card._from(rows[0]) if rows else None


def card_at(db: Database, slack_channel: str, ts: str) -> Card | None:
    """The card that is the message ``ts`` of Slack channel ``slack_channel``, if any."""
    rows = list(
        dict_rows(db, "SELECT * FROM cards WHERE slack_channel = ? AND ts = ?", [slack_channel, ts])
    )
    return Card._from(rows[0]) if rows else None


def cards_of(db: Database, ordernumber: str) -> list[Card]:
    """Every card of an order (one per channel it was alerted in), oldest first."""
    return [
        Card._from(r)
        for r in dict_rows(
            db, "SELECT * FROM cards WHERE ordernumber = ? ORDER BY posted_at", [ordernumber]
        )
    ]


def save_card(
    db: Database,
    *,
    channel: str,
    ordernumber: str,
    slack_channel: str,
    ts: str,
    rule: str,
    headline: str,
    at: datetime,
) -> None:
    """Remember a card just posted (a card posted again after its message was lost replaces
    the old one)."""
    db.execute(
        "INSERT INTO cards (channel, ordernumber, slack_channel, ts, rule, headline, posted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, ordernumber) DO UPDATE SET"
        " slack_channel = excluded.slack_channel, ts = excluded.ts, rule = excluded.rule,"
        " headline = excluded.headline, posted_at = excluded.posted_at, updated_at = NULL",
        [channel, ordernumber, slack_channel, ts, rule, headline, iso(at)],
    )


def set_headline(db: Database, channel: str, ordernumber: str, headline: str) -> None:
    """The latest alert's words, which the card shows on top."""
    db.execute(
        "UPDATE cards SET headline = ? WHERE channel = ? AND ordernumber = ?",
        [headline, channel, ordernumber],
    )


def card_updated(db: Database, channel: str, ordernumber: str, at: datetime) -> None:
    db.execute(
        "UPDATE cards SET updated_at = ? WHERE channel = ? AND ordernumber = ?",
        [iso(at), channel, ordernumber],
    )


def forget_card(db: Database, channel: str, ordernumber: str) -> None:
    """The card's message is gone from Slack (deleted by someone): the next alert posts one."""
    db.execute("DELETE FROM cards WHERE channel = ? AND ordernumber = ?", [channel, ordernumber])


def queue_card_update(conn: sqlite3.Connection, card: Card, at: datetime) -> bool:
    """Queue an update of ``card`` unless one is pending already (it will show the latest
    state too); True if one was queued."""
    numbers = json.dumps([card.ordernumber])
    waiting = conn.execute(
        "SELECT 1 FROM outbox WHERE kind = ? AND status = ? AND channel = ? AND ordernumbers = ?",
        [CARD_UPDATE, PENDING, card.channel, numbers],
    ).fetchone()
    if waiting:
        return False
    row = message_row(
        at=at,
        rule=card.rule,
        channel=card.channel,
        kind=CARD_UPDATE,
        ordernumbers=[card.ordernumber],
        text="",
    )
    insert_rows(conn, [row])
    return True


def queue_card_updates(db: Database, ordernumbers: Iterable[str], at: datetime) -> int:
    """Queue an update of every card of these orders; how many were queued."""
    queued = 0
    for number in sorted(set(ordernumbers)):
        for card in cards_of(db, number):
            queued += queue_card_update(db.conn, card, at)
    return queued


# --- how long orders are held -----------------------------------------------------------------


def track_order_holds(
    db: Database, ordernumbers: Iterable[str], at: datetime, *, baseline: bool
) -> None:
    """Bring ``order_holds`` up to date with the snapshot for these orders (part of a poll's
    transaction, after the snapshot is written). A baseline opens one for every order on hold,
    as seen before orderbot watched, and remembers when watching started."""
    when = iso(at)
    if baseline:
        if get_meta(db, WATCH_STARTED) is None:
            set_meta(db, WATCH_STARTED, when)
        db.execute(
            "INSERT INTO order_holds (ordernumber, held_since, before_watching)"
            " SELECT DISTINCT ordernumber, ?, 1 FROM snapshot"
            " WHERE holdreasoncode NOT IN ('', ?) ON CONFLICT (ordernumber) DO NOTHING",
            [when, DELETED_HOLD],
        )
        return
    for number in sorted(set(ordernumbers)):
        row = db.execute(
            "SELECT count(*), count(*) FILTER (WHERE holdreasoncode NOT IN ('', ?))"
            " FROM snapshot WHERE ordernumber = ?",
            [DELETED_HOLD, number],
        ).fetchone()
        shipments, held = row
        if not shipments:
            continue
        if held:
            db.execute(
                "INSERT INTO order_holds (ordernumber, held_since, before_watching)"
                " VALUES (?, ?, 0) ON CONFLICT (ordernumber) DO UPDATE SET"
                " held_since = excluded.held_since, before_watching = 0, released_at = NULL"
                " WHERE order_holds.released_at IS NOT NULL",
                [number, when],
            )
        else:
            db.execute(
                "UPDATE order_holds SET released_at = ? WHERE ordernumber = ?"
                " AND released_at IS NULL",
                [when, number],
            )


def order_hold(db: Database, ordernumber: str) -> OrderHold | None:
    row = db.execute(
        "SELECT held_since, before_watching, released_at FROM order_holds WHERE ordernumber = ?",
        [ordernumber],
    ).fetchone()
    if row is None:
        return None
    return OrderHold(ordernumber, from_iso(row[0]), bool(row[1]), optional_time(row[2]))


def watch_started_at(db: Database) -> datetime | None:
    """When orderbot started watching (its baseline poll), if it has."""
    value = get_meta(db, WATCH_STARTED)
    return from_iso(value) if value else None


def hold_starts(db: Database, subordernumbers: Sequence[str]) -> dict[str, tuple[datetime, bool]]:
    """For shipments on hold in the snapshot: since when they have had their hold code, and
    whether that was before orderbot started watching (the baseline saw it)."""
    started = watch_started_at(db)
    found: dict[str, tuple[datetime, bool]] = {}
    for sub in subordernumbers:
        row = db.execute(
            "SELECT hold_since FROM snapshot WHERE subordernumber = ? AND hold_since IS NOT NULL",
            [sub],
        ).fetchone()
        if row:
            since = from_iso(row[0])
            found[sub] = (since, started is not None and since <= started)
    return found


# --- what a card shows ------------------------------------------------------------------------


def save_reading(
    db: Database, ordernumber: str, shipments: Sequence[SuborderState], *, at: datetime, by: str
) -> None:
    """Remember the order as a Refresh press read it from Ingram just now."""
    data = [
        {
            "subordernumber": s.subordernumber,
            "ordernumber": s.ordernumber,
            "customerordernumber": s.customerordernumber,
            "entrytimestamp": s.entrytimestamp,
            "statuscode": s.statuscode,
            "status": s.status,
            "holdreasoncode": s.holdreasoncode,
            "holdreason": s.holdreason,
        }
        for s in shipments
    ]
    db.execute(
        "INSERT INTO readings (ordernumber, read_at, read_by, shipments) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (ordernumber) DO UPDATE SET read_at = excluded.read_at,"
        " read_by = excluded.read_by, shipments = excluded.shipments",
        [ordernumber, iso(at), by, json.dumps(data)],
    )


def _snapshot_rows(db: Database, ordernumber: str) -> list[SnapshotRow]:
    return [
        SnapshotRow._from(r)
        for r in dict_rows(
            db,
            "SELECT * FROM snapshot WHERE ordernumber = ? ORDER BY subordernumber",
            [ordernumber],
        )
    ]


def order_view(db: Database, ordernumber: str) -> OrderView:
    """What a card shows of an order: the snapshot's shipments, or a Refresh press's reading
    when it is newer than every poll's, with the order's hold and owner."""
    rows = _snapshot_rows(db, ordernumber)
    read_at = max((r.last_seen for r in rows), default=None)
    refreshed_by = None
    reading = db.execute(
        "SELECT read_at, read_by, shipments FROM readings WHERE ordernumber = ?", [ordernumber]
    ).fetchone()
    if reading is not None and (read_at is None or from_iso(reading[0]) > read_at):
        read_at, refreshed_by = from_iso(reading[0]), reading[1] or ""
        known = {r.subordernumber: r for r in rows}
        rows = [
            _from_reading(item, known.get(item["subordernumber"]), read_at)
            for item in json.loads(reading[2])
        ]
    return OrderView(
        ordernumber,
        rows,
        read_at,
        refreshed_by,
        order_hold(db, ordernumber),
        get_owner(db, ordernumber),
        watch_started_at(db),
    )


def _from_reading(item: dict[str, str], known: SnapshotRow | None, at: datetime) -> SnapshotRow:
    """A shipment of a reading, keeping what the snapshot knows of when it was first seen
    and since when it has had its hold (when the code is the same)."""
    code = item.get("holdreasoncode", "")
    if known is not None and known.holdreasoncode == code:
        hold_since = known.hold_since
    else:
        hold_since = at if code else None
    return SnapshotRow(
        item.get("subordernumber", ""),
        item.get("ordernumber", ""),
        item.get("customerordernumber", ""),
        item.get("entrytimestamp", ""),
        item.get("statuscode", ""),
        item.get("status", ""),
        code,
        item.get("holdreason", ""),
        known.first_seen if known is not None else at,
        at,
        hold_since,
    )
