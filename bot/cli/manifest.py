"""``orderbot manifest``: the Slack app manifest, for "Create New App -> From an app manifest"."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import EXIT_OK, Subparsers
from bot.shipped import manifest


def register(sub: Subparsers) -> None:
    """Add ``manifest``."""
    p = sub.add_parser(
        "manifest",
        help="print the Slack app manifest (orderbot manifest > manifest.yaml)",
        description="Print the Slack app manifest. In Slack: Create New App -> From an app"
        " manifest -> paste it (or save it: orderbot manifest > manifest.yaml).",
    )
    p.set_defaults(handler=cmd_manifest)


async def cmd_manifest(_args: argparse.Namespace) -> int:
    sys.stdout.write(manifest())
    sys.stdout.flush()
    return EXIT_OK
