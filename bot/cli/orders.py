"""``orderbot lookup`` and ``orderbot delete``: the order use cases from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Fail, Subparsers, out
from bot.cli.terminal import delete_data, dumps, order_data, orders_text, refusal_data
from bot.config import load_bot, load_ingram
from bot.ingram import IngramClient
from bot.orders import DeletePrompt, DeleteRefused, OrderService, Requester


def register(sub: Subparsers) -> None:
    """Add ``lookup`` and ``delete``."""
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
        out(dumps([order_data(o) for o in result.orders]))
    elif result.orders:
        out(orders_text(result.orders, result.highlight))
    if not result.orders:
        if args.po:
            raise Fail(
                f"no order found with PO {result.query} (POs are matched exactly as entered,"
                " case included)",
                EXIT_REFUSED,
            )
        raise Fail(f"no order found {result.query}", EXIT_REFUSED)
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
                return refused(args, prepared)
            if not args.json:
                out(orders_text([prepared.order]))
            if not args.yes:
                question = f"Delete order {prepared.order.ordernumber}? [y/N] "
                answer = await asyncio.to_thread(input, question)
                if answer.strip().lower() not in ("y", "yes"):
                    await service.cancel_delete(requester, prepared.confirmation_id)
                    if args.json:
                        out(dumps(refusal_data(prepared.order.ordernumber, "cancelled", "")))
                        return EXIT_REFUSED
                    raise Fail("not deleted", EXIT_REFUSED)
            done = await service.confirm_delete(requester, prepared.confirmation_id)
    finally:
        await store.close()
    if isinstance(done, DeleteRefused):
        return refused(args, done)
    result = done.result
    if args.json:
        out(dumps(delete_data(result)))
    else:
        outcome = result.outcome.value.replace("_", " ")
        out(f"{result.ordernumber}: {outcome}. {result.message}".strip())
        if not result.ok and result.remedy and result.remedy != "None":
            out(f"What to do: {result.remedy}")
    return EXIT_OK if result.ok else EXIT_REFUSED


def refused(args: argparse.Namespace, refusal: DeleteRefused) -> int:
    """Nothing was deleted: JSON with ``--json`` (outcome ``refused`` and the reason), else the
    one line on stderr."""
    if not args.json:
        raise Fail(refusal.message, EXIT_REFUSED)
    number = refusal.order.ordernumber if refusal.order else args.order.strip().upper()
    out(dumps(refusal_data(number, refusal.reason.value, refusal.message)))
    return EXIT_REFUSED
