"""The key/value table."""

from __future__ import annotations

from sqlite_utils import Database

from bot.store import get_meta, set_meta


def test_meta(db: Database) -> None:
    assert get_meta(db, "windows_notice") is None
    assert get_meta(db, "windows_notice", "x") == "x"
    set_meta(db, "windows_notice", "closed")
    set_meta(db, "windows_notice", "open")
    assert get_meta(db, "windows_notice") == "open"
