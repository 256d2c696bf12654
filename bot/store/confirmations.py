"""Delete confirmations (single-use, bound to the requester, expiring, one live per order)
and the audit trail of what was tried on which order."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store._sql import dict_rows, optional_time, stored_text


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A pending (or used) delete confirmation: single-use, bound to the requester, expiring."""

    id: str
    user_id: str
    ordernumber: str
    entrydate: date
    channel_id: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    #: The newer confirmation for the same order that replaced this one (None: not replaced).
    superseded_by: str | None = None

    @classmethod
    def _from(cls, r: dict[str, Any]) -> Confirmation:
        return cls(
            r["id"],
            r["user_id"],
            r["ordernumber"],
            date.fromisoformat(r["entrydate"]),
            r["channel_id"],
            from_iso(r["created_at"]),
            from_iso(r["expires_at"]),
            optional_time(r["used_at"]),
            r["used_by"],
            r.get("superseded_by"),
        )


class ClaimResult(enum.StrEnum):
    """What became of an attempt to use a delete confirmation."""

    CLAIMED = "claimed"
    NOT_FOUND = "not_found"
    WRONG_USER = "wrong_user"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One line of the audit trail: who tried what on which order, and how it ended."""

    id: int
    at: datetime
    user_id: str
    user_name: str
    action: str
    ordernumber: str
    outcome: str
    message: str

    @classmethod
    def _from(cls, r: dict[str, Any]) -> AuditRow:
        return cls(
            r["id"],
            from_iso(r["at"]),
            r["user_id"],
            r["user_name"] or "",
            r["action"],
            r["ordernumber"] or "",
            r["outcome"],
            r["message"] or "",
        )


def create_confirmation(
    db: Database,
    *,
    id: str,
    user_id: str,
    ordernumber: str,
    entrydate: date | str,
    channel_id: str | None,
    created_at: datetime,
    expires_at: datetime,
) -> int:
    """Store a delete confirmation that ``user_id`` alone may use once before ``expires_at``,
    and supersede every unused one for the same order (whoever asked): one live prompt per
    order. Returns how many were superseded."""
    with db.atomic():
        superseded = db.conn.execute(
            "UPDATE confirmations SET superseded_by = ?"
            " WHERE ordernumber = ? AND used_at IS NULL AND superseded_by IS NULL",
            [id, ordernumber],
        ).rowcount
        db.conn.execute(
            "INSERT INTO confirmations (id, user_id, ordernumber, entrydate, channel_id,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                id,
                user_id,
                ordernumber,
                entrydate.isoformat() if isinstance(entrydate, date) else str(entrydate),
                channel_id,
                iso(created_at),
                iso(expires_at),
            ],
        )
    return superseded


def get_confirmation(db: Database, id: str) -> Confirmation | None:
    """A confirmation by id, used or not."""
    rows = list(dict_rows(db, "SELECT * FROM confirmations WHERE id = ?", [id]))
    return Confirmation._from(rows[0]) if rows else None


def claim_confirmation(db: Database, id: str, user_id: str, now: datetime) -> ClaimResult:
    """Use a confirmation: CLAIMED for exactly one caller, however many try at once.

    The claim is one conditional UPDATE, so concurrent claims (threads, processes) cannot
    both win. A wrong user, an expired or a superseded confirmation does not consume it.
    """
    at = iso(now)
    with db.atomic():
        cursor = db.conn.execute(
            "UPDATE confirmations SET used_at = ?, used_by = ?"
            " WHERE id = ? AND user_id = ? AND used_at IS NULL AND superseded_by IS NULL"
            " AND expires_at > ?",
            [at, user_id, id, user_id, at],
        )
        if cursor.rowcount == 1:
            return ClaimResult.CLAIMED
    row = get_confirmation(db, id)
    return ClaimResult.NOT_FOUND if row is None else confirmation_state(row, user_id, now)


def confirmation_state(row: Confirmation, user_id: str, now: datetime) -> ClaimResult:
    """What a claim of ``row`` by ``user_id`` at ``now`` would be, without making it
    (CLAIMED: it may be claimed)."""
    if row.user_id != user_id:
        return ClaimResult.WRONG_USER
    if row.used_at is not None:
        return ClaimResult.ALREADY_USED
    if row.superseded_by is not None:
        return ClaimResult.SUPERSEDED
    if row.expires_at <= now:
        return ClaimResult.EXPIRED
    return ClaimResult.CLAIMED


def write_audit(
    db: Database,
    *,
    at: datetime,
    user_id: str,
    user_name: str,
    action: str,
    ordernumber: str,
    outcome: str,
    message: str = "",
) -> int:
    """Append a line to the audit trail; returns its id."""
    cursor = db.execute(
        "INSERT INTO audit (at, user_id, user_name, action, ordernumber, outcome, message)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [iso(at), user_id, user_name, action, ordernumber, outcome, stored_text(message)],
    )
    return int(cursor.lastrowid or 0)


def last_deletion(db: Database, ordernumber: str) -> AuditRow | None:
    """The latest delete of this order that orderbot sent and Ingram carried out."""
    rows = list(
        dict_rows(
            db,
            "SELECT * FROM audit WHERE ordernumber = ? AND action = 'delete_confirm'"
            " AND outcome = 'deleted' ORDER BY id DESC LIMIT 1",
            [ordernumber],
        )
    )
    return AuditRow._from(rows[0]) if rows else None


def audit_log(db: Database, limit: int = 50) -> list[AuditRow]:
    """The latest audit lines, newest first."""
    return [
        AuditRow._from(r)
        for r in dict_rows(db, "SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit])
    ]
