"""Little helpers the store's modules share: query rows as dicts, optional timestamps."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.clock import from_iso


def optional_time(text: str | None) -> datetime | None:
    """A stored timestamp, or None for NULL (or "")."""
    return from_iso(text) if text else None


def dict_rows(
    db: Database, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> Iterator[dict]:
    """The rows of a query, each as a dict of column name to value."""
    cursor = db.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return (dict(zip(keys, row, strict=True)) for row in cursor)
