"""``orderbot serve``, ``orderbot poll --once`` and ``orderbot health``: running the bot."""

from __future__ import annotations

import argparse
import os

from bot.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Fail,
    Subparsers,
    log_as_configured,
    out,
)
from bot.config import load_bot, load_settings


def register(sub: Subparsers) -> None:
    """Add ``serve``, ``poll`` and ``health``."""
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


async def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime import Orderbot

    settings = load_settings()
    log_as_configured(settings)
    await Orderbot(settings, port=args.port, host=args.host).run_until_signalled()
    return EXIT_OK


async def cmd_poll(args: argparse.Namespace) -> int:
    from bot.poll_once import poll_once

    settings = load_settings(signing=False)
    log_as_configured(settings)
    outcome = await poll_once(
        settings.ingram, settings.slack, settings.bot, delivery_timeout=args.delivery_timeout
    )
    out(outcome.summary)
    if not outcome.ok:
        raise Fail(outcome.problem, outcome.status)
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
    out(response.text)
    return EXIT_OK if response.status_code == 200 else EXIT_REFUSED
