"""``orderbot rules ACTION``: work with the alert rules: ``check``, ``init``, ``schema``,
``test`` (one made-up event, in ``rules_trial``) and ``replay`` (the recorded events, in
``rules_replay``)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from bot.cli import rules_replay, rules_trial
from bot.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Fail, Subparsers, out, read_rules
from bot.shipped import example_rules
from bot.watch.rules_schema import rules_schema


def register(sub: Subparsers) -> None:
    """Add ``rules`` and its actions."""
    p = sub.add_parser("rules", help="work with the alert rules")
    rules_sub = p.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = rules_sub.add_parser("check", help="validate a rules file or folder")
    check.add_argument("path", nargs="?", help="file or folder (default ORDERBOT_RULES, rules/)")
    check.set_defaults(handler=cmd_rules_check)
    init = rules_sub.add_parser("init", help="write the example rules into a folder to start from")
    init.add_argument("folder", nargs="?", default="rules", help="where (default rules/)")
    init.set_defaults(handler=cmd_rules_init)
    rules_trial.register(rules_sub)
    rules_replay.register(rules_sub)
    schema = rules_sub.add_parser(
        "schema", help="print the JSON Schema of rules files, for editors with YAML support"
    )
    schema.set_defaults(handler=cmd_rules_schema)


async def cmd_rules_check(args: argparse.Namespace) -> int:
    name, rules = read_rules(args.path)
    out(f"{name}: {len(rules)} rules, all valid")
    return EXIT_OK


async def cmd_rules_init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    written = await asyncio.to_thread(write_examples, folder)
    out(
        f"wrote {len(written)} example rules to {folder}/: {', '.join(written)}\n"
        f"Set their channels, then check them: orderbot rules check {folder}"
    )
    return EXIT_OK


def write_examples(folder: Path) -> list[str]:
    """Write the example rules into ``folder`` (made if needed); refuses, writing nothing, when
    any of them is there already. Returns the names written."""
    examples = example_rules()
    if folder.exists() and not folder.is_dir():
        raise Fail(f"{folder} is a file, not a folder: choose another folder", EXIT_USAGE)
    taken = [name for name in examples if (folder / name).exists()]
    if taken:
        raise Fail(
            f"{folder / taken[0]} already exists; nothing was written (orderbot never"
            " overwrites rules): move it aside, or give another folder",
            EXIT_REFUSED,
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in examples.items():
            with (folder / name).open("x", encoding="utf-8") as file:
                file.write(text)
    except OSError as exc:
        raise Fail(f"cannot write {folder}: {exc.strerror or exc}", EXIT_USAGE) from None
    return list(examples)


async def cmd_rules_schema(_args: argparse.Namespace) -> int:
    out(json.dumps(rules_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK
