"""What every command module of the ``orderbot`` command line shares.

A command is an async handler that returns an exit status, or raises ``Fail`` to stop with one
clear line on stderr: 1 not found or refused, 2 bad usage or configuration, 3 Ingram could not
be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeAlias

from bot.config import Settings, load_bot
from bot.log import setup_logging
from bot.watch.rules import RuleSet
from bot.watch.rules_loading import RulesError, load_rules

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_INGRAM = 0, 1, 2, 3

#: A command's handler: ``set_defaults(handler=...)`` on its parser.
Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
#: What a command module's ``register`` adds its commands to.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Fail(Exception):
    """Stop with a one-line message and an exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def out(text: str) -> None:
    """Print a command's result on stdout."""
    print(text, flush=True)


def log_as_configured(settings: Settings) -> None:
    """Log as the settings say (a long-running command), with every secret redacted."""
    setup_logging(settings.bot.log_format, settings.bot.log_level, settings.secrets())


def read_rules(path: str | None) -> tuple[str, RuleSet]:
    """The rules at ``path`` (default ``ORDERBOT_RULES``), and the path as shown. Invalid rules
    stop the command as ``orderbot rules check`` does: every problem on stderr, exit 2."""
    name = path or str(load_bot().rules_location())
    if Path(name).is_dir() and not name.endswith("/"):
        name += "/"  # a folder of rules files reads as one
    try:
        return name, load_rules(Path(name))
    except RulesError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        raise Fail(f"{name}: {len(exc.problems)} problem(s) in the rules", EXIT_USAGE) from None
