"""The writer lease: which one process polls and delivers for this database.

One row (``name = 'writer'``): the holder (a random id per process), its role ("serve",
"poll --once"), pid and host, and until when the claim holds. It is claimed with
``claim_lease`` and renewed with ``renew_lease`` inside every write transaction of the
holder (``AsyncStore.write`` calls it as its fence), so a process that lost the lease can
never write as if it held it: its transaction fails with ``LeaseLost`` and changes nothing.

A lease can be taken over when it has expired, or at once when its holder is known dead:
same host, and no process with its pid (or that pid is the caller's own: a restarted
container reuses its pids), which is what lets a restarted ``serve`` go on at once after a
kill -9 instead of waiting out its predecessor's lease.

Times are wall-clock (two processes share no other clock); the holder keeps a safety margin
on its own monotonic clock (``bot.watch.writer``).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from bot.clock import from_iso, iso
from bot.store._sql import dict_rows, immediate
from bot.store.schema import StoreError

LEASE = "writer"


class LeaseLost(StoreError):
    """This process does not hold the writer lease (any more): it must not poll or deliver."""


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Who claims the lease: this process, in a role."""

    id: str
    role: str
    pid: int
    host: str

    @classmethod
    def here(cls, role: str) -> LeaseHolder:
        """This process, with a fresh id."""
        return cls(secrets.token_hex(8), role, os.getpid(), socket.gethostname())


@dataclass(frozen=True, slots=True)
class Lease:
    """The lease as recorded."""

    holder: str
    role: str
    pid: int
    host: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        """Who holds it, for people: ``orderbot serve (pid 12 on host web-1)``."""
        return f"orderbot {self.role} (pid {self.pid} on host {self.host})"

    def held_by(self, holder: LeaseHolder) -> bool:
        return self.holder == holder.id

    def holder_known_dead(self, me: LeaseHolder) -> bool:
        """True when the holder is another process of this host that no longer runs."""
        if self.host != me.host or self.holder == me.id:
            return False
        if self.pid == me.pid:
            return True  # a predecessor whose pid this process now has
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # it exists, under another user
            return False
        return False


def get_lease(db: Database) -> Lease | None:
    """The lease as recorded (None before anyone claimed it)."""
    rows = list(dict_rows(db, "SELECT * FROM lease WHERE name = ?", [LEASE]))
    if not rows:
        return None
    r = rows[0]
    return Lease(
        r["holder"],
        r["role"],
        r["pid"],
        r["host"],
        from_iso(r["acquired_at"]),
        from_iso(r["renewed_at"]),
        from_iso(r["expires_at"]),
    )


def claim_lease(db: Database, me: LeaseHolder, *, now: datetime, ttl: float) -> Lease:
    """Take (or keep) the lease when it is free, expired, ours, or its holder is known dead;
    returns the lease as recorded afterwards: ``held_by(me)`` says whether it is ours."""
    with immediate(db):
        current = get_lease(db)
        if (
            current is None
            or current.held_by(me)
            or current.expires_at <= now
            or current.holder_known_dead(me)
        ):
            acquired = current.acquired_at if current and current.held_by(me) else now
            db.execute(
                "INSERT INTO lease (name, holder, role, pid, host, acquired_at, renewed_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " holder = excluded.holder, role = excluded.role, pid = excluded.pid,"
                " host = excluded.host, acquired_at = excluded.acquired_at,"
                " renewed_at = excluded.renewed_at, expires_at = excluded.expires_at",
                [
                    LEASE,
                    me.id,
                    me.role,
                    me.pid,
                    me.host,
                    iso(acquired),
                    iso(now),
                    iso(now + timedelta(seconds=ttl)),
                ],
            )
        lease = get_lease(db)
    assert lease is not None
    return lease


def renew_lease(db: Database, me: LeaseHolder, *, now: datetime, ttl: float) -> None:
    """Extend our lease (part of a write transaction: the fence of every write of the
    holder); ``LeaseLost`` when it is not ours (any more).

    A lease that has expired but that nobody took over is still ours: inside the write
    transaction nobody else can take it, and a wall-clock step forward must not cost the
    holder its lease."""
    cursor = db.execute(
        "UPDATE lease SET renewed_at = ?, expires_at = ? WHERE name = ? AND holder = ?",
        [iso(now), iso(now + timedelta(seconds=ttl)), LEASE, me.id],
    )
    if cursor.rowcount != 1:
        current = get_lease(db)
        who = current.describe() if current and not current.held_by(me) else "nobody"
        raise LeaseLost(f"this process no longer holds the writer lease (held by {who})")


def release_lease(db: Database, me: LeaseHolder) -> bool:
    """Give the lease up (at a clean stop), so that another process can take over at once."""
    with immediate(db):
        cursor = db.execute("DELETE FROM lease WHERE name = ? AND holder = ?", [LEASE, me.id])
    return cursor.rowcount == 1
