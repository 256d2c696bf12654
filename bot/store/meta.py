"""A small key/value table, for what the bot remembers between runs."""

from __future__ import annotations

from sqlite_utils import Database


def get_meta(db: Database, key: str, default: str | None = None) -> str | None:
    """A value of the key/value table, or ``default``."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(db: Database, key: str, value: str) -> None:
    """Set a value of the key/value table."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
