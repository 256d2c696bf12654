"""The parser is wired from the command groups' ``register`` functions, and the ``orderbot``
script still starts ``bot.cli.main``."""

from __future__ import annotations

import argparse
from importlib.metadata import entry_points

import bot.cli
from bot.cli import GROUPS, build_parser

COMMANDS = [
    "lookup",
    "delete",
    "serve",
    "poll",
    "health",
    "outbox",
    "backup",
    "rules",
    "summary",
    "manifest",
    "demo",
    "sandbox",
]


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_every_group_registers_its_commands_in_the_help_order() -> None:
    assert _commands(build_parser()) == COMMANDS
    assert all(callable(group.register) for group in GROUPS)


def test_every_command_has_a_handler() -> None:
    parser = build_parser()
    for argv in (
        ["lookup"],
        ["delete", "20-11852"],
        ["poll", "--once"],
        ["rules", "check"],
        ["rules", "init"],
        ["manifest"],
        ["outbox", "list"],
        ["outbox", "retry", "--all"],
        ["outbox", "drop", "1"],
    ):
        assert callable(parser.parse_args(argv).handler)


def test_the_orderbot_script_is_bot_cli_main() -> None:
    (script,) = entry_points(group="console_scripts", name="orderbot")
    assert script.load() is bot.cli.main
