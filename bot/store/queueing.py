"""Queueing messages in the outbox: what a row is made of when it is inserted.

``serialize`` turns a poll's alerts into rows (before the poll's transaction opens),
``queue`` inserts them as part of it; ``message_row`` and ``insert_rows`` serve the messages
that are not a poll's alerts (card updates, notes, reminders, summaries). The states and
kinds of rows, and everything after a row is queued, are in ``bot.store.outbox``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.clock import iso
from bot.store.outbox import PENDING, WAITING


class OutboxMessage(Protocol):
    """What the store needs of a message to queue (``bot.watch.alerts.NewAlert`` is one): the rule
    that made it, the channel it goes to, its kind, the orders it is about, its text and its
    Block Kit blocks."""

    @property
    def rule(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def ordernumbers(self) -> Sequence[str]: ...

    @property
    def text(self) -> str: ...

    @property
    def blocks(self) -> Sequence[Mapping[str, Any]]: ...


#: An outbox row as ``queue`` inserts it: column -> value (``serialize``).
QueuedRow = dict[str, Any]

#: The columns ``insert_rows`` writes, in order.
_COLUMNS = (
    "created_at",
    "poll_id",
    "rule",
    "channel",
    "kind",
    "ordernumbers",
    "text",
    "blocks",
    "status",
    "next_attempt_at",
    "event_id",
    "subordernumber",
    "undo_field",
    "undo_value",
    "settle_until",
    "waiting_for",
    "hours",
    "broadcast",
)


def serialize(alerts: Iterable[OutboxMessage], at: str) -> list[QueuedRow]:
    """The rows ``queue`` inserts for ``alerts``, due at ``at`` (or waiting, when an alert's
    ``timing`` says so). Called before the poll's transaction opens, so a bad alert cannot
    leave it half done.

    Besides the ``OutboxMessage`` properties, an alert may have a ``subject`` (the event it is
    about: ``event``, ``subordernumber``, ``undo_field``, ``undo_value`` and ``on_hold``, the
    shipment's state after it) and a ``timing`` (``waiting_for``, ``wait_until``,
    ``settle_until``, ``hours``, ``remind_after``), as ``bot.watch.alerts.NewAlert`` does.
    """
    rows = []
    for a in alerts:
        subject = getattr(a, "subject", None)
        timing = getattr(a, "timing", None)
        waiting_for = timing.waiting_for if timing is not None else None
        row: QueuedRow = {
            "created_at": at,
            "poll_id": None,
            "rule": a.rule,
            "channel": a.channel,
            "kind": a.kind,
            "ordernumbers": json.dumps(list(a.ordernumbers)),
            "text": a.text,
            "blocks": json.dumps(a.blocks),
            "status": WAITING if waiting_for else PENDING,
            "next_attempt_at": iso(timing.wait_until) if waiting_for else at,
            "event_id": None,
            "subordernumber": subject.subordernumber if subject is not None else None,
            "undo_field": subject.undo_field if subject is not None else None,
            "undo_value": subject.undo_value if subject is not None else None,
            "settle_until": (
                iso(timing.settle_until) if timing is not None and timing.settle_until else None
            ),
            "waiting_for": waiting_for,
            "hours": timing.hours if timing is not None else None,
            "broadcast": 0,
            # Not columns: which event of the poll the row is about (``queue`` resolves it),
            # and the reminder it starts (``bot.store.lifecycle``).
            "_event": (subject.event, subject.subordernumber) if subject is not None else None,
            "_remind_after": timing.remind_after if timing is not None else None,
            "_on_hold": subject.on_hold if subject is not None else False,
        }
        rows.append(row)
    return rows


def insert_rows(conn: sqlite3.Connection, rows: Iterable[QueuedRow]) -> list[int]:
    """Insert outbox rows (``QueuedRow``s: missing columns take their defaults); their ids."""
    ids = []
    placeholders = ", ".join("?" for _ in _COLUMNS)
    sql = f"INSERT INTO outbox ({', '.join(_COLUMNS)}, attempts) VALUES ({placeholders}, 0)"  # noqa: S608
    for row in rows:
        values = [row.get(column) for column in _COLUMNS]
        values[_COLUMNS.index("status")] = row.get("status") or PENDING
        values[_COLUMNS.index("broadcast")] = int(bool(row.get("broadcast")))
        cursor = conn.execute(sql, values)
        ids.append(int(cursor.lastrowid or 0))
    return ids


def message_row(
    *,
    at: datetime,
    rule: str,
    channel: str,
    kind: str,
    ordernumbers: Sequence[str],
    text: str,
    blocks: Sequence[Mapping[str, Any]] = (),
    broadcast: bool = False,
) -> QueuedRow:
    """A pending row for a message that is not a poll's alert (a card update, a note, a
    reminder, a summary page), due at ``at``."""
    when = iso(at)
    return {
        "created_at": when,
        "rule": rule,
        "channel": channel,
        "kind": kind,
        "ordernumbers": json.dumps(list(ordernumbers)),
        "text": text,
        "blocks": json.dumps(list(blocks)),
        "status": PENDING,
        "next_attempt_at": when,
        "broadcast": int(broadcast),
    }


def queue(
    conn: sqlite3.Connection,
    poll_id: int,
    rows: Iterable[QueuedRow],
    event_ids: Mapping[tuple[str, str], int] | None = None,
) -> list[int]:
    """Insert serialized messages (pending, or waiting), queued by poll ``poll_id`` (part of
    the poll's transaction); ``event_ids`` maps the poll's (event, shipment) to its row in
    ``events``. Returns the new rows' ids."""
    ids = event_ids or {}
    prepared = []
    for row in rows:
        key = row.get("_event")
        prepared.append(
            {**row, "poll_id": poll_id, "event_id": ids.get(key) if key is not None else None}
        )
    return insert_rows(conn, prepared)
