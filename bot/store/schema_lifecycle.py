"""Migration 5 of the schema (``bot.store.schema.MIGRATIONS``): the hold lifecycle's tables.

Kept in its own module so that ``bot.store.schema`` stays readable; append-only like every
migration: never edit it once shipped.
"""

from __future__ import annotations

from sqlite_utils import Database


def m5_hold_lifecycle(db: Database) -> None:
    """The hold lifecycle: order cards, owners and snoozes, reminders, the outbox's "not yet"
    rows (settle, hours) and what they are about, Ingram re-reads, and summaries' schedule."""
    outbox = db["outbox"]
    # What a single alert is about (its event and shipment, and the value that would undo it
    # while it settles), why and until when it waits, the rule's hours, and what became of it.
    for column, kind in (
        ("event_id", int),
        ("subordernumber", str),
        ("undo_field", str),
        ("undo_value", str),
        ("settle_until", str),
        ("waiting_for", str),
        ("hours", str),
        ("broadcast", int),
        ("merged_into", int),
        ("released_at", str),
    ):
        outbox.add_column(column, kind)
    db.execute(
        "CREATE INDEX idx_outbox_waiting ON outbox (subordernumber, id) WHERE status = 'waiting'"
    )
    db.execute(
        "CREATE INDEX idx_outbox_waiting_due ON outbox (next_attempt_at) WHERE status = 'waiting'"
    )
    db.execute("CREATE INDEX idx_outbox_status ON outbox (status)")
    # One card per (rule's channel, order): where it is in Slack and what it last said.
    db.create_table(
        "cards",
        {
            "channel": str,
            "ordernumber": str,
            "slack_channel": str,
            "ts": str,
            "rule": str,
            "headline": str,
            "posted_at": str,
            "updated_at": str,
        },
        pk=("channel", "ordernumber"),
        not_null=["slack_channel", "ts", "rule", "headline", "posted_at"],
    )
    db["cards"].create_index(["ordernumber"])
    db["cards"].create_index(["slack_channel", "ts"], unique=True)
    # Since when an order has had a shipment on hold (or when that ended), for its card.
    db.create_table(
        "order_holds",
        {"ordernumber": str, "held_since": str, "before_watching": int, "released_at": str},
        pk="ordernumber",
        not_null=["held_since", "before_watching"],
        defaults={"before_watching": 0},
    )
    # Who is on an order's holds, and whether its reminders are snoozed.
    db.create_table(
        "owners",
        {
            "ordernumber": str,
            "owner_id": str,
            "owner_name": str,
            "owner_since": str,
            "snoozed_by": str,
            "snoozed_at": str,
            "snooze_until": str,
            "snooze_until_change": int,
            "changed_at": str,
        },
        pk="ordernumber",
        not_null=["changed_at"],
        defaults={"snooze_until_change": 0},
    )
    db.create_table(
        "reminders",
        {
            "id": int,
            "channel": str,
            "ordernumber": str,
            "subordernumber": str,
            "rule": str,
            "started_at": str,
            "next_at": str,
            "created_at": str,
            "sent": int,
            "last_sent_at": str,
            "ended_at": str,
            "ended_why": str,
        },
        pk="id",
        not_null=[
            "channel",
            "ordernumber",
            "subordernumber",
            "rule",
            "started_at",
            "next_at",
            "created_at",
            "sent",
        ],
        defaults={"sent": 0},
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_reminders_open ON reminders (channel, rule, subordernumber)"
        " WHERE ended_at IS NULL"
    )
    db.execute("CREATE INDEX idx_reminders_due ON reminders (next_at) WHERE ended_at IS NULL")
    # The latest re-read of an order from Ingram (a Refresh press), newer than the snapshot
    # until the next poll reads the order.
    db.create_table(
        "readings",
        {"ordernumber": str, "read_at": str, "read_by": str, "shipments": str},
        pk="ordernumber",
        not_null=["read_at", "shipments"],
    )
    db.create_table(
        "summary_runs",
        {"name": str, "last_slot": str, "last_run_at": str, "last_outcome": str},
        pk="name",
        not_null=["last_slot"],
    )
    # When orderbot started watching: a hold it has seen since then began before it did.
    db.execute(
        "INSERT INTO meta (key, value) SELECT 'watch_started_at', started"
        " FROM (SELECT coalesce((SELECT min(started_at) FROM polls WHERE ok = 1),"
        " (SELECT min(first_seen) FROM snapshot)) AS started) WHERE started IS NOT NULL"
        " ON CONFLICT (key) DO NOTHING"
    )
    # The orders on hold now, as the snapshot has them (a database from before this version).
    db.execute(
        "INSERT INTO order_holds (ordernumber, held_since, before_watching)"
        " SELECT ordernumber, min(coalesce(hold_since, first_seen)),"
        " min(coalesce(hold_since, first_seen)) <= coalesce("
        "   (SELECT value FROM meta WHERE key = 'watch_started_at'), '')"
        " FROM snapshot WHERE holdreasoncode NOT IN ('', 'VO') GROUP BY ordernumber"
    )
