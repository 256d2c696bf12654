"""``orderbot rules replay [--since 7d]``: what the rules would have posted for the events the
polls recorded in ``ORDERBOT_DB``, per rule and channel, digests and threads included.
Nothing is posted and nothing is written."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta

from bot.cli.common import EXIT_OK, EXIT_USAGE, Fail, Subparsers, out, read_rules
from bot.cli.terminal import table
from bot.clock import utc_now
from bot.config import load_bot
from bot.slack.blocks import plural
from bot.store import AsyncStore, events_since, polls_since
from bot.watch.alerts import cut
from bot.watch.replay import Replay, RuleReplay, replay

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SINCE = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$")
#: Each message's text is cut to this many characters in the table of first messages.
SHOWN_TEXT = 100


def register(rules_sub: Subparsers) -> None:
    """Add ``rules replay``."""
    p = rules_sub.add_parser(
        "replay",
        help="what the rules would have posted for the events stored in the database",
        description=(
            "Run the events the polls recorded in ORDERBOT_DB through the rules, grouped as the"
            " notifier would (digests, threads), and print per rule and channel how many"
            " messages they would have posted, and the first few. Posts nothing."
        ),
    )
    p.add_argument("--since", default="7d", help="how far back: 30m, 12h, 7d, 2w (default 7d)")
    p.add_argument("--rules", help="rules file or folder (default ORDERBOT_RULES, rules/)")
    p.add_argument("--first", type=int, default=3, help="messages shown per rule (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_rules_replay)


def parse_since(text: str) -> timedelta:
    """``7d`` as a timedelta (m, h, d, w); ``Fail`` with one line for anything else."""
    found = _SINCE.match(text)
    if not found:
        raise Fail(
            f'--since "{text}" is not a duration; write a number and m, h, d or w, as in 7d',
            EXIT_USAGE,
        )
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


async def cmd_rules_replay(args: argparse.Namespace) -> int:
    window = parse_since(args.since)
    if args.first < 0:
        raise Fail("--first must be 0 or more", EXIT_USAGE)
    name, rules = read_rules(args.rules)
    db_path = load_bot().db_path
    if not db_path.is_file():
        raise Fail(
            f"no database at {db_path}; set ORDERBOT_DB to the database orderbot serve or"
            " poll writes (replay reads the events its polls recorded)",
            EXIT_USAGE,
        )
    since = utc_now() - window
    async with await AsyncStore.open(db_path) as store:
        stored = await store.run(events_since, since)
        polls = await store.run(polls_since, since)
    result = replay(stored, rules, since=since, polls=polls)
    if args.json:
        out(json.dumps(_data(result, name, args.since, args.first), indent=2, ensure_ascii=False))
    else:
        out(_text(result, name, args.since, args.first))
    return EXIT_OK


def _when(result: Replay, since: str) -> str:
    return f"since {result.since.strftime('%Y-%m-%d %H:%M UTC')} ({since})"


def _text(result: Replay, name: str, since: str, first: int) -> str:
    lines = [
        f"{plural(result.events, 'event')} of {plural(result.polls, 'poll')}"
        f" {_when(result, since)} through the {plural(len(result.rules), 'rule')} in {name};"
        " nothing was posted"
    ]
    lines.append(
        table(
            ("RULE", "CHANNEL", "MESSAGES", "ALERTS", "DIGESTS", "IN THREADS", "EVENTS"),
            [
                (
                    r.rule,
                    r.channel,
                    len(r.messages),
                    r.alerts,
                    r.digests,
                    r.in_threads,
                    r.events,
                )
                for r in result.rules
            ],
        )
    )
    for share in result.rules:
        if share.messages and first:
            lines.append("")
            lines.append(_first_heading(share, first))
            for m in share.messages[:first]:
                where = "thread" if m.in_thread else m.kind
                text = cut(" ".join(m.text.split()), SHOWN_TEXT)
                lines.append(f"  {m.at.strftime('%Y-%m-%d %H:%M UTC')}  {where:<6}  {text}")
    return "\n".join(lines)


def _first_heading(share: RuleReplay, first: int) -> str:
    shown = min(first, len(share.messages))
    which = (
        "the only message"
        if len(share.messages) == 1
        else f"the first {shown} of {len(share.messages)}"
    )
    return f"{share.rule} -> {share.channel}: {which}"


def _data(result: Replay, name: str, since: str, first: int) -> dict[str, object]:
    return {
        "since": result.since.isoformat(),
        "window": since,
        "rules_path": name,
        "polls": result.polls,
        "events": result.events,
        "rules": [
            {
                "rule": r.rule,
                "channel": r.channel,
                "events": r.events,
                "messages": len(r.messages),
                "alerts": r.alerts,
                "digests": r.digests,
                "in_threads": r.in_threads,
                "first": [
                    {
                        "at": m.at.isoformat(),
                        "kind": m.kind,
                        "in_thread": m.in_thread,
                        "ordernumbers": list(m.ordernumbers),
                        "text": m.text,
                    }
                    for m in r.messages[:first]
                ],
            }
            for r in result.rules
        ],
    }
