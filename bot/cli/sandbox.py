"""``orderbot sandbox``: the Ingram Micro API emulator on its own (``bot.sandbox.ingram``)."""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_OK, EXIT_USAGE, Fail, Subparsers


def register(sub: Subparsers) -> None:
    """Add ``sandbox``."""
    p = sub.add_parser("sandbox", help="run the Ingram Micro API emulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--scenario", action="store_true", help="move holds on and off over time")
    p.set_defaults(handler=cmd_sandbox)


async def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.ingram import run_sandbox
    from bot.slack.server import listen_problem

    try:
        await run_sandbox(args.host, args.port, scenario=args.scenario)
    except OSError as exc:
        raise Fail(listen_problem(exc, args.host, args.port, "--port"), EXIT_USAGE) from None
    return EXIT_OK
