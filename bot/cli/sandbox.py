"""``orderbot sandbox``: the Ingram Micro API emulator on its own (``bot.sandbox.ingram``)."""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_OK, Subparsers


def register(sub: Subparsers) -> None:
    """Add ``sandbox``."""
    p = sub.add_parser("sandbox", help="run the Ingram Micro API emulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--scenario", action="store_true", help="move holds on and off over time")
    p.set_defaults(handler=cmd_sandbox)


async def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.ingram import run_sandbox

    await run_sandbox(args.host, args.port, scenario=args.scenario)
    return EXIT_OK
