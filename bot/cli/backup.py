"""``orderbot backup PATH``: a consistent copy of the live database, while serve runs."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.common import EXIT_OK, Subparsers, out
from bot.config import load_bot
from bot.store.backup import backup


def register(sub: Subparsers) -> None:
    """Add ``backup``."""
    p = sub.add_parser(
        "backup",
        help="write a consistent copy of the database (ORDERBOT_DB), even while serve runs",
    )
    p.add_argument("path", help="the file to write (it must not exist yet)")
    p.set_defaults(handler=cmd_backup)


async def cmd_backup(args: argparse.Namespace) -> int:
    source = load_bot().db_path
    report = await asyncio.to_thread(backup, source, Path(args.path))
    out(
        f"backed up {source} to {report.target}: {report.pages} pages,"
        f" {report.bytes / 1024:.0f} KiB in {report.seconds:.2f} s. To restore it: stop"
        f" orderbot, copy {report.target} to {source}, delete {source}-wal and {source}-shm if"
        " they are there, start orderbot."
    )
    return EXIT_OK
