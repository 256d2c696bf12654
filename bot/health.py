"""What ``GET /healthz`` reports: is each part of orderbot doing its job?

* ``slack``: the Socket Mode connection is up (HTTP mode: the app answers requests);
* ``store``: the database takes writes (not full, not read-only, still the file at its path);
* ``writer``: whether this process holds the writer lease or is a standby (both healthy);
* ``poller``: the last poll succeeded recently enough (or the poller is off, paused outside
  Ingram's availability window, or this process is a standby);
* ``outbox``: alerts are not backing up (few waiting, none waiting for long).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.slack.server import PartHealth
from bot.store import OutboxStats, PollRow

#: The outbox is backing up when more alerts than this wait, or one waits longer than
#: ``MAX_OUTBOX_AGE``.
MAX_OUTBOX_PENDING = 100
MAX_OUTBOX_AGE = timedelta(minutes=15)


def poll_deadline(interval: float) -> timedelta:
    """How old the last successful poll may be: three intervals, and at least five minutes."""
    return max(timedelta(seconds=3 * interval), timedelta(minutes=5))


def poller_health(
    *,
    interval: float,
    last: PollRow | None,
    last_ok: PollRow | None,
    skipped: str | None,
    started_at: datetime,
    now: datetime,
    standby: bool = False,
) -> PartHealth:
    """The poller's health from the polls table and its latest report."""
    if interval <= 0:
        return PartHealth(True, "polling is off (ORDERBOT_POLL_INTERVAL=0)")
    if standby:
        return PartHealth(True, "standby: another orderbot polls this database")
    if skipped:
        return PartHealth(True, f"paused: {skipped}")
    deadline = poll_deadline(interval)
    data = {
        "last_poll": last.finished_at.isoformat() if last else None,
        "last_success": last_ok.finished_at.isoformat() if last_ok else None,
    }
    if last_ok is not None and now - last_ok.finished_at <= deadline:
        return PartHealth(True, "the last poll succeeded recently", data)
    if last_ok is None and now - started_at <= deadline:
        return PartHealth(True, "waiting for the first poll", data)
    why = f"; the last poll failed: {last.error}" if last is not None and not last.ok else ""
    return PartHealth(
        False, f"no successful poll in the last {int(deadline.total_seconds())} s{why}", data
    )


def store_health(fault: str | None) -> PartHealth:
    """Unhealthy while the database cannot be written; ``fault`` says why."""
    if fault is None:
        return PartHealth(True, "the database takes writes")
    return PartHealth(False, fault)


def writer_health(where: str) -> PartHealth:
    """Where this process stands with the writer lease: the holder or a standby, both fine."""
    return PartHealth(True, where)


def outbox_health(stats: OutboxStats, now: datetime, *, standby: bool = False) -> PartHealth:
    """Unhealthy when alerts pile up or wait too long; dead letters are reported, not fatal.
    A standby does not deliver: the outbox is the holder's to judge."""
    data = {"pending": stats.pending, "dead_letters": stats.dead}
    if standby:
        return PartHealth(True, "standby: another orderbot delivers the outbox", data)
    if stats.pending > MAX_OUTBOX_PENDING:
        return PartHealth(False, f"{stats.pending} alerts are waiting to be posted", data)
    if stats.oldest_pending_at is not None and now - stats.oldest_pending_at > MAX_OUTBOX_AGE:
        waited = int((now - stats.oldest_pending_at).total_seconds())
        return PartHealth(False, f"an alert has waited {waited} s to be posted", data)
    return PartHealth(True, f"{stats.pending} waiting, {stats.dead} dead letters", data)
