"""Where the watcher's messages go in Slack: the alert threads (the first message about an
order in a channel, which later ones reply in) and the Slack ID of every channel a rule
names (rules may name a channel; reading it back takes its ID)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlite_utils import Database

from bot.clock import iso

#: A Slack conversation ID (a channel C..., a private channel G..., a DM D...).
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")


def get_thread(db: Database, channel: str, ordernumber: str) -> tuple[str, str] | None:
    """The (Slack channel ID, ts) of the first alert about an order in a rule's channel."""
    row = db.execute(
        "SELECT slack_channel, ts FROM threads WHERE channel = ? AND ordernumber = ?",
        [channel, ordernumber],
    ).fetchone()
    return (row[0], row[1]) if row else None


def set_thread(
    db: Database, channel: str, ordernumber: str, slack_channel: str, ts: str
) -> tuple[str, str]:
    """Remember the thread of an order in a channel; the first one wins. Returns the thread
    now on record (the earlier one, if there was one)."""
    with db.atomic():
        db.conn.execute(
            "INSERT INTO threads (channel, ordernumber, slack_channel, ts) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, ordernumber) DO NOTHING",
            [channel, ordernumber, slack_channel, ts],
        )
        stored = get_thread(db, channel, ordernumber)
    assert stored is not None
    return stored


# --- channel IDs --------------------------------------------------------------------------------


def learn_channel(db: Database, channel: str, slack_id: str, at: datetime) -> None:
    """Remember the Slack ID that Slack answered for a channel a rule names."""
    db.execute(
        "INSERT INTO channels (name, slack_id, learned_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET slack_id = excluded.slack_id,"
        " learned_at = excluded.learned_at WHERE channels.slack_id <> excluded.slack_id",
        [channel, slack_id, iso(at)],
    )


def channel_id(db: Database, channel: str) -> str | None:
    """The Slack ID of a channel a rule names: the name itself when it is an ID, else the
    one Slack answered when orderbot last posted there (None before the first post)."""
    if _CHANNEL_ID.fullmatch(channel):
        return channel
    row = db.execute("SELECT slack_id FROM channels WHERE name = ?", [channel]).fetchone()
    return row[0] if row else None
