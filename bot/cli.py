"""The ``orderbot`` command line: a thin adapter over the same use cases as the Slack app.

Errors are one clear line on stderr and a non-zero exit status:
1 not found or refused, 2 bad usage or configuration, 3 Ingram could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot import __version__
from bot.config import (
    ConfigError,
    Settings,
    StartupError,
    load_bot,
    load_ingram,
    load_settings,
    load_slack,
)
from bot.ingram import IngramClient, IngramError, InvalidArgumentError
from bot.log import setup_logging
from bot.orders import DeletePrompt, DeleteRefused, OrderService, Requester
from bot.rules import RulesError, check_rules, load_rules
from bot.terminal import delete_data, dumps, order_data, orders_text

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_INGRAM = 0, 1, 2, 3


class Fail(Exception):
    """Stop with a one-line message and an exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _out(text: str) -> None:
    print(text, flush=True)


# --- lookup and delete ---------------------------------------------------------------------


async def cmd_lookup(args: argparse.Namespace) -> int:
    settings = load_ingram()
    async with IngramClient(settings) as client:
        service = OrderService(client)
        if args.po:
            result = await service.lookup_po(args.po)
        elif args.order:
            result = await service.lookup(args.order)
        else:
            raise Fail("give an order number (orderbot lookup 20-RD12H) or --po CUSTPO", EXIT_USAGE)
    if args.json:
        _out(dumps([order_data(o) for o in result.orders]))
    elif result.orders:
        _out(orders_text(result.orders, result.highlight))
    if not result.orders:
        what = f"with PO {result.query}" if args.po else result.query
        raise Fail(f"no order found {what}", EXIT_REFUSED)
    return EXIT_OK


async def cmd_delete(args: argparse.Namespace) -> int:
    from bot.store import AsyncStore

    if not args.yes and not sys.stdin.isatty():
        raise Fail("not a terminal: add --yes to delete without a confirmation prompt", EXIT_USAGE)
    settings, bot_settings = load_ingram(), load_bot()
    requester = Requester(f"cli:{getpass.getuser()}", getpass.getuser(), trusted=True)
    store = await AsyncStore.open(bot_settings.db_path)
    try:
        async with IngramClient(settings) as client:
            service = OrderService(client, store)
            prepared = await service.request_delete(requester, args.order)
            if not isinstance(prepared, DeletePrompt):
                raise Fail(prepared.message, EXIT_REFUSED)
            if not args.json:
                _out(orders_text([prepared.order]))
            if not args.yes:
                question = f"Delete order {prepared.order.ordernumber}? [y/N] "
                answer = await asyncio.to_thread(input, question)
                if answer.strip().lower() not in ("y", "yes"):
                    await service.cancel_delete(requester, prepared.confirmation_id)
                    raise Fail("not deleted", EXIT_REFUSED)
            done = await service.confirm_delete(requester, prepared.confirmation_id)
    finally:
        await store.close()
    if isinstance(done, DeleteRefused):
        raise Fail(done.message, EXIT_REFUSED)
    result = done.result
    if args.json:
        _out(dumps(delete_data(result)))
    else:
        outcome = result.outcome.value.replace("_", " ")
        _out(f"{result.ordernumber}: {outcome}. {result.message}".strip())
        if not result.ok and result.remedy and result.remedy != "None":
            _out(f"What to do: {result.remedy}")
    return EXIT_OK if result.ok else EXIT_REFUSED


async def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(
        poll_interval=args.poll_interval,
        scenario_every=args.scenario_every,
        rules=Path(args.rules) if args.rules else None,
    )


# --- the emulator --------------------------------------------------------------------------


async def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.ingram import run_sandbox

    await run_sandbox(args.host, args.port, scenario=args.scenario)
    return EXIT_OK


# --- the bot ------------------------------------------------------------------------------


async def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime import Orderbot

    settings = load_settings()
    _logging(settings)
    await Orderbot(settings, port=args.port, host=args.host).run_until_signalled()
    return EXIT_OK


async def cmd_poll(args: argparse.Namespace) -> int:
    from bot.runtime import poll_once

    ingram, slack, bot_settings = load_ingram(), load_slack(signing=False), load_bot()
    _logging(Settings(ingram, slack, bot_settings))
    outcome = await poll_once(ingram, slack, bot_settings, delivery_timeout=args.delivery_timeout)
    _out(outcome.summary)
    if not outcome.ok:
        raise Fail(outcome.problem, EXIT_INGRAM)
    return EXIT_OK


async def cmd_rules_check(args: argparse.Namespace) -> int:
    name = args.path or str(load_bot().rules_path)
    problems = check_rules(Path(name))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise Fail(f"{name}: {len(problems)} problem(s) in the rules", EXIT_USAGE)
    _out(f"{name}: {len(load_rules(Path(name)))} rules, all valid")
    return EXIT_OK


async def cmd_health(args: argparse.Namespace) -> int:
    import httpx

    bot_settings = load_bot()
    socket_mode = bool(os.environ.get("SLACK_APP_TOKEN", "").strip())
    port = args.port or (bot_settings.health_port if socket_mode else bot_settings.port)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        async with httpx.AsyncClient(timeout=args.timeout) as http:
            response = await http.get(url)
    except httpx.HTTPError as exc:
        what = f"no answer from {url} ({type(exc).__name__}); is orderbot serve running?"
        raise Fail(what, EXIT_REFUSED) from None
    _out(response.text)
    return EXIT_OK if response.status_code == 200 else EXIT_REFUSED


def _logging(settings: Settings) -> None:
    setup_logging(settings.bot.log_format, settings.bot.log_level, settings.secrets())


# --- parser --------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderbot",
        description="Slack chat-ops for Ingram Micro orders: look up, delete, hold alerts.",
        epilog="Configuration comes from environment variables; see README.md.",
    )
    parser.add_argument("--version", action="version", version=f"orderbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("lookup", help="show an order and its shipments")
    p.add_argument("order", nargs="?", help="order number (20-RD12H) or suborder (20-RD12H-11)")
    p.add_argument("--po", help="every order with this customer PO number instead")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_lookup)

    p = sub.add_parser("delete", help="delete an order that has not been released")
    p.add_argument("order", help="order number, e.g. 20-11852")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("serve", help="run the Slack app, the poller and the notifier")
    p.add_argument("--host", default="0.0.0.0", help="interface to listen on (HTTP mode)")  # noqa: S104
    p.add_argument("--port", type=int, default=None, help="HTTP port (default ORDERBOT_PORT, 3000)")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("poll", help="run one poll of the hold watcher and deliver its alerts")
    p.add_argument("--once", action="store_true", required=True, help="one poll, then exit")
    p.add_argument(
        "--delivery-timeout",
        type=float,
        default=30.0,
        help="seconds to keep retrying Slack before leaving alerts in the outbox (default 30)",
    )
    p.set_defaults(handler=cmd_poll)

    p = sub.add_parser("health", help="ask a running orderbot serve for /healthz (exit 0 if ok)")
    p.add_argument("--port", type=int, default=None, help="default: the port serve listens on")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(handler=cmd_health)

    p = sub.add_parser("rules", help="work with the alert rules")
    rules_sub = p.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = rules_sub.add_parser("check", help="validate a rules file or folder")
    check.add_argument("path", nargs="?", help="file or folder (default ORDERBOT_RULES, rules/)")
    check.set_defaults(handler=cmd_rules_check)

    p = sub.add_parser("demo", help="try orderbot with no Slack or Ingram account")
    p.add_argument("--poll-interval", type=float, default=5.0, help="seconds between polls")
    p.add_argument(
        "--scenario-every", type=float, default=20.0, help="seconds between hold changes"
    )
    p.add_argument("--rules", help="rules file or folder (default: the shipped rules/)")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("sandbox", help="run the Ingram Micro API emulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--scenario", action="store_true", help="move holds on and off over time")
    p.set_defaults(handler=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orderbot`` script."""
    args = build_parser().parse_args(argv)
    try:
        bot_settings = load_bot()
        setup_logging(
            bot_settings.log_format,
            os.environ.get("ORDERBOT_LOG_LEVEL", "WARNING").upper(),
        )
        return asyncio.run(args.handler(args))
    except Fail as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return exc.status
    except RulesError as exc:
        print(f"orderbot: invalid rules, not starting:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except StartupError as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, InvalidArgumentError) as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IngramError as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return EXIT_INGRAM
    except KeyboardInterrupt:
        return 130
