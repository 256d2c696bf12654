"""What an operator does with the outbox: list it, post a dead letter again, or drop one.

A dead letter is a message Slack refused for good (``channel_not_found``, ``not_in_channel``
...). Once the channel is fixed or the bot invited, ``retry`` puts it back to pending, due
now, for the running notifier to post at its next look (it checks every few seconds); it
keeps ``uncertain_since``, so a message an earlier attempt may have posted unseen is looked
for in the channel before it is posted again (``bot.watch.readback``), as for any other row:
the exactly-once guarantee does not depend on who made the row pending. ``drop`` gives a
dead letter up for good: its state becomes ``dropped`` (the row stays, so its id is never
used again and the audit trail can name it; retention prunes it with the delivered ones).

Only dead letters move here, with a conditional UPDATE (``status = 'dead'``), and the
notifier never touches a dead row: an operator's command cannot race a delivery. Each move
is written to the audit trail in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.clock import iso
from bot.store._sql import dict_rows, immediate
from bot.store.confirmations import write_audit
from bot.store.outbox import (
    DEAD,
    DELIVERED,
    DROPPED,
    MERGED,
    SUPERSEDED,
    UNDONE,
    OutboxRow,
    get_outbox,
)

#: The states a row ends in: the rest are still of concern (``list_outbox``).
ENDED = (DELIVERED, UNDONE, SUPERSEDED, MERGED, DROPPED)
#: The audit trail's names for what an operator did to a dead letter.
AUDIT_RETRY, AUDIT_DROP = "outbox_retry", "outbox_drop"


@dataclass(frozen=True, slots=True)
class Operator:
    """Who runs the command, for the audit trail (the CLI: ``cli`` and the login name)."""

    user_id: str
    user_name: str


class NotADeadLetter(Exception):
    """The row asked for does not exist, or is not a dead letter; the message says which and
    what to do, in one line."""


def list_outbox(db: Database, *, dead_only: bool = False, limit: int = 200) -> list[OutboxRow]:
    """The rows still of concern, oldest first: every state but those ``ENDED`` (so a state
    added later shows), or only the dead letters."""
    if dead_only:
        rows = dict_rows(
            db, "SELECT * FROM outbox WHERE status = ? ORDER BY id LIMIT ?", [DEAD, limit]
        )
    else:
        rows = dict_rows(
            db,
            "SELECT * FROM outbox WHERE status NOT IN (?, ?, ?, ?, ?) ORDER BY id LIMIT ?",
            [*ENDED, limit],
        )
    return [OutboxRow._from(r) for r in rows]


def dead_ids(db: Database) -> list[int]:
    """Every dead letter's id, oldest first (``retry --all``)."""
    rows = db.execute("SELECT id FROM outbox WHERE status = ? ORDER BY id", [DEAD])
    return [int(r[0]) for r in rows]


def retry_dead(db: Database, ids: Sequence[int], *, at: datetime, by: Operator) -> list[OutboxRow]:
    """Make the dead letters ``ids`` pending again, due at ``at``, and audit each; all or
    none: ``NotADeadLetter`` (nothing changed) when one of them is not a dead letter."""
    return _move(db, ids, at=at, by=by, action=AUDIT_RETRY)


def drop_dead(db: Database, ids: Sequence[int], *, at: datetime, by: Operator) -> list[OutboxRow]:
    """Give the dead letters ``ids`` up (state ``dropped``) and audit each; all or none."""
    return _move(db, ids, at=at, by=by, action=AUDIT_DROP)


def _move(
    db: Database, ids: Sequence[int], *, at: datetime, by: Operator, action: str
) -> list[OutboxRow]:
    moved = []
    with immediate(db):
        for id in ids:
            row = get_outbox(db, id)
            _check(row, id, action)
            assert row is not None
            if action == AUDIT_RETRY:
                db.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
                    " WHERE id = ? AND status = 'dead'",
                    [iso(at), id],
                )
                outcome = "pending again"
            else:
                db.execute(
                    "UPDATE outbox SET status = ? WHERE id = ? AND status = 'dead'", [DROPPED, id]
                )
                outcome = DROPPED
            write_audit(
                db,
                at=at,
                user_id=by.user_id,
                user_name=by.user_name,
                action=action,
                ordernumber=",".join(row.ordernumbers),
                outcome=outcome,
                message=(
                    f"outbox #{row.id} for {row.channel} (rule {row.rule}, {row.kind}),"
                    f" dead after: {row.last_error or 'unknown error'}"
                ),
            )
            moved.append(row)
    return moved


def _check(row: OutboxRow | None, id: int, action: str) -> None:
    verb = "retried" if action == AUDIT_RETRY else "dropped"
    if row is None:
        raise NotADeadLetter(
            f"there is no outbox message #{id}; `orderbot outbox list --dead` lists the dead"
            " letters"
        )
    if row.status != DEAD:
        raise NotADeadLetter(
            f"outbox message #{id} is {row.status}, not a dead letter: only dead letters can"
            f" be {verb} (`orderbot outbox list --dead` lists them); nothing was changed"
        )
