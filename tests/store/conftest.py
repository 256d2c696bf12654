"""The store's tests run on a real database file, opened fresh for each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.store import open_db


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_db(tmp_path / "orderbot.db")
    yield database
    database.close()
