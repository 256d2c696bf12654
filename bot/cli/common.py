"""What every command module of the ``orderbot`` command line shares.

A command is an async handler that returns an exit status, or raises ``Fail`` to stop with one
clear line on stderr: 1 not found or refused, 2 bad usage or configuration, 3 Ingram could not
be read.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

from bot.config import Settings
from bot.log import setup_logging

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
