"""``orderbot demo``: the whole bot on embedded stand-ins (``bot.demo``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    """Add ``demo``."""
    p = sub.add_parser("demo", help="try orderbot with no Slack or Ingram account")
    p.add_argument("--poll-interval", type=float, default=5.0, help="seconds between polls")
    p.add_argument(
        "--scenario-every", type=float, default=20.0, help="seconds between hold changes"
    )
    p.add_argument(
        "--rules", help="rules file or folder (default: ORDERBOT_RULES, else the example rules)"
    )
    p.set_defaults(handler=cmd_demo)


async def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    chosen = args.rules or os.environ.get("ORDERBOT_RULES", "").strip()
    return await run_demo(
        poll_interval=args.poll_interval,
        scenario_every=args.scenario_every,
        rules=Path(chosen) if chosen else None,
    )
