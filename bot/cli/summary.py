"""``orderbot summary NAME [--dry-run]``: post one summary (``summaries:`` in the rules) now,
for testing and for people who prefer cron; ``--dry-run`` prints it instead.

The pages are queued in the outbox like every message. When no orderbot serve holds the
writer lease, this command takes it for its run and posts them (exactly once, as the
notifier does); while serve runs, serve posts them within seconds.
"""

from __future__ import annotations

import argparse
import html
import json

from bot.cli.common import EXIT_OK, EXIT_USAGE, Fail, Subparsers, out, read_rules
from bot.clock import utc_now
from bot.config import load_bot, load_settings
from bot.slack.app import web_client
from bot.store import AsyncStore, LeaseHolder
from bot.store.queueing import QueuedRow
from bot.store.summaries import queue_pages
from bot.watch.notifier import Notifier
from bot.watch.rules_validation import suggest
from bot.watch.summary_run import compose
from bot.watch.writer import Writer


def register(sub: Subparsers) -> None:
    """Add ``summary``."""
    p = sub.add_parser("summary", help="post one of the rules' summaries now (or print it)")
    p.add_argument("name", help="the summary's name, as in the rules' summaries: list")
    p.add_argument("--dry-run", action="store_true", help="print it instead of posting it")
    p.add_argument("--rules", help="rules file or folder (default: ORDERBOT_RULES)")
    p.set_defaults(handler=cmd_summary)


def page_text(row: QueuedRow) -> str:
    """A page as a terminal shows it: each block's text on its own lines."""
    lines = []
    for block in json.loads(row["blocks"]):
        texts = [block.get("text", {}).get("text", "")] if block.get("text") else []
        texts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
        lines += [html.unescape(t) for t in texts if t]
    return "\n".join(lines)


async def cmd_summary(args: argparse.Namespace) -> int:
    shown, rules = read_rules(args.rules)
    summary = rules.summary(args.name)
    if summary is None:
        names = [s.name for s in rules.summaries]
        known = f"; its summaries: {', '.join(names)}" if names else "; it has no summaries:"
        hint = suggest(args.name, names, "summaries") if names else ""
        raise Fail(f'no summary "{args.name}" in {shown}{hint or known}', EXIT_USAGE)
    bot = load_bot()
    async with await AsyncStore.open(bot.db_path) as store:
        pages = await store.run(compose, summary, utc_now())
        if not pages:
            out(f"summary {summary.name}: nothing on hold matches it; nothing to post")
            return EXIT_OK
        if args.dry_run:
            for page in pages:
                out(f"── {summary.channel}\n{page_text(page)}")
            return EXIT_OK
        settings = load_settings(signing=False)
        await store.run(queue_pages, pages)
        writer = Writer(store, LeaseHolder.here("summary"), ttl=bot.lease_seconds, announce=False)
        await writer.start()
        try:
            if not writer.held:
                holder = writer.other.describe() if writer.other else "orderbot serve"
                out(f"summary {summary.name}: {len(pages)} page(s) queued; {holder} posts them")
                return EXIT_OK
            notifier = Notifier(
                store,
                web_client(settings.slack),
                writer=writer,
                post_timeout=settings.slack.timeout,
            )
            report = await notifier.drain(30.0)
        finally:
            await writer.stop()
    out(f"summary {summary.name}: posted {report.delivered} page(s) to {summary.channel}")
    if report.pending or report.dead:
        raise Fail(
            f"{report.pending} page(s) still in the outbox, {report.dead} dead letter(s):"
            " `orderbot outbox list` says why",
            1,
        )
    return EXIT_OK
