"""``orderbot rules ACTION``: work with the alert rules (``check``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import EXIT_OK, EXIT_USAGE, Fail, Subparsers, out
from bot.config import load_bot
from bot.watch.rules_loading import check_rules, load_rules


def register(sub: Subparsers) -> None:
    """Add ``rules`` and its actions."""
    p = sub.add_parser("rules", help="work with the alert rules")
    rules_sub = p.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = rules_sub.add_parser("check", help="validate a rules file or folder")
    check.add_argument("path", nargs="?", help="file or folder (default ORDERBOT_RULES, rules/)")
    check.set_defaults(handler=cmd_rules_check)


async def cmd_rules_check(args: argparse.Namespace) -> int:
    name = args.path or str(load_bot().rules_path)
    problems = check_rules(Path(name))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise Fail(f"{name}: {len(problems)} problem(s) in the rules", EXIT_USAGE)
    out(f"{name}: {len(load_rules(Path(name)))} rules, all valid")
    return EXIT_OK
