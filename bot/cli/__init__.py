"""The ``orderbot`` command line: a thin adapter over the same use cases as the Slack app.

``main`` and the parser are here; each command group has its module, which adds its commands
in ``register(sub)``: ``orders`` (lookup, delete), ``serve`` (serve, poll, health), ``outbox``
(list, retry, drop: the dead letters), ``backup``, ``rules`` (check, init), ``summary``,
``manifest``,
``demo`` and ``sandbox``. ``terminal`` renders orders
for a terminal. Errors are one clear line on stderr and a non-zero exit status: 1 not found
or refused, 2 bad usage or configuration, 3 Ingram could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot import __version__
from bot.cli import backup, demo, manifest, orders, outbox, rules, sandbox, serve, summary
from bot.cli.common import EXIT_INGRAM, EXIT_OK, EXIT_USAGE, Fail
from bot.config import ConfigError, StartupError, load_bot
from bot.ingram import IngramError, InvalidArgumentError
from bot.log import setup_logging
from bot.shipped import ShippedFilesMissing
from bot.store import StoreError
from bot.watch.rules_loading import RulesError

#: The command groups, in the order ``--help`` lists their commands.
GROUPS = (orders, serve, outbox, backup, rules, summary, manifest, demo, sandbox)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderbot",
        description="Slack chat-ops for Ingram Micro orders: look up, delete, hold alerts.",
        epilog="Configuration comes from environment variables; see README.md.",
    )
    parser.add_argument("--version", action="version", version=f"orderbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def log_briefly() -> None:
    """Warnings only, as the variables say when they are well formed; a command that needs
    orderbot's settings reports any malformed one (with every other problem) itself."""
    try:
        log_format = load_bot().log_format
    except ConfigError:
        log_format = "text"
    level = os.environ.get("ORDERBOT_LOG_LEVEL", "").strip().upper()
    setup_logging(log_format, level if level in ("DEBUG", "INFO", "ERROR") else "WARNING")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orderbot`` script."""
    args = build_parser().parse_args(argv)
    try:
        log_briefly()
        return asyncio.run(args.handler(args))
    except Fail as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return exc.status
    except RulesError as exc:
        print(f"orderbot: invalid rules, not starting:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StartupError, StoreError) as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"orderbot: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (InvalidArgumentError, ShippedFilesMissing) as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IngramError as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return EXIT_INGRAM
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `orderbot rules schema | head`: the reader has gone, and that's fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
        return EXIT_OK
