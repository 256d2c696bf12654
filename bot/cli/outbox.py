"""``orderbot outbox ACTION``: what the watcher could not deliver, and what to do with it.

``list [--dead] [--json]`` shows the messages still of concern (pending, waiting for a
rule's settle time or hours, being sent, dead: every state but those a row ends in) with
why the last attempt failed and, for a dead letter, what to do; ``retry ID ...`` / ``retry
--all`` posts dead letters again (after the channel is fixed or the bot invited; a running
``serve`` posts them within seconds, else the next ``serve`` or ``poll --once``); ``drop ID
...`` gives them up. Retries and drops are audited (``bot.store.outbox_ops`` says why they
keep the exactly-once guarantee).
"""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from bot.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Fail, Subparsers, out
from bot.cli.terminal import table
from bot.clock import utc_now
from bot.config import load_bot
from bot.store import AsyncStore, OutboxRow
from bot.store.outbox_ops import (
    NotADeadLetter,
    Operator,
    dead_ids,
    drop_dead,
    list_outbox,
    retry_dead,
)
from bot.watch.slack_answers import advice

#: At most this many rows are listed (the oldest first); ``--limit`` changes it.
LIST_LIMIT = 200
#: The longest last error a text table shows (``--json`` shows it whole).
ERROR_WIDTH = 70


def register(sub: Subparsers) -> None:
    """Add ``outbox`` and its actions."""
    p = sub.add_parser("outbox", help="list the undelivered alerts; retry or drop dead letters")
    actions = p.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    show = actions.add_parser("list", help="the alerts not delivered yet, and the dead letters")
    show.add_argument("--dead", action="store_true", help="only the dead letters")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument(
        "--limit", type=int, default=LIST_LIMIT, help=f"at most this many (default {LIST_LIMIT})"
    )
    show.set_defaults(handler=cmd_outbox_list)
    retry = actions.add_parser(
        "retry", help="post dead letters again (after fixing the channel or inviting the bot)"
    )
    retry.add_argument("ids", nargs="*", metavar="ID", help="the dead letters' ids")
    retry.add_argument("--all", action="store_true", help="every dead letter")
    retry.set_defaults(handler=cmd_outbox_retry)
    drop = actions.add_parser("drop", help="give dead letters up for good")
    drop.add_argument("ids", nargs="+", metavar="ID", help="the dead letters' ids")
    drop.set_defaults(handler=cmd_outbox_drop)


def _database() -> Path:
    path = load_bot().db_path
    if not path.is_file():
        raise Fail(
            f"no database at {path}; set ORDERBOT_DB to the database orderbot serve or poll writes",
            EXIT_USAGE,
        )
    return path


def _ids(texts: list[str]) -> list[int]:
    ids = []
    for text in texts:
        number = text.removeprefix("#")
        if not number.isdigit():
            raise Fail(
                f"{text!r} is not an outbox id (a number, as `orderbot outbox list` shows)",
                EXIT_USAGE,
            )
        ids.append(int(number))
    return list(dict.fromkeys(ids))


def operator() -> Operator:
    """Who runs the command, for the audit trail."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without /etc/passwd entry)
        name = "unknown"
    return Operator("cli", name)


async def cmd_outbox_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise Fail("--limit must be 1 or more", EXIT_USAGE)
    async with await AsyncStore.open(_database()) as store:
        rows = await store.run(list_outbox, dead_only=args.dead, limit=args.limit)
    if args.json:
        out(json.dumps([row_data(r) for r in rows], indent=2, ensure_ascii=False))
    else:
        out(list_text(rows, dead_only=args.dead))
    return EXIT_OK


async def cmd_outbox_retry(args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise Fail("give the ids of the dead letters to retry, or --all (not both)", EXIT_USAGE)
    ids = _ids(args.ids)
    async with await AsyncStore.open(_database()) as store:
        if args.all:
            ids = await store.run(dead_ids)
            if not ids:
                out("no dead letters: nothing to retry")
                return EXIT_OK
        try:
            rows = await store.write(retry_dead, ids, at=utc_now(), by=operator())
        except NotADeadLetter as exc:
            raise Fail(str(exc), EXIT_REFUSED) from None
    out(
        f"{_count(rows)} pending again ({_names(rows)}): a running orderbot serve posts"
        " them within seconds, else the next serve or poll --once does. If Slack refuses"
        " again they are dead letters again (`orderbot outbox list --dead` says why)."
    )
    return EXIT_OK


async def cmd_outbox_drop(args: argparse.Namespace) -> int:
    ids = _ids(args.ids)
    async with await AsyncStore.open(_database()) as store:
        try:
            rows = await store.write(drop_dead, ids, at=utc_now(), by=operator())
        except NotADeadLetter as exc:
            raise Fail(str(exc), EXIT_REFUSED) from None
    out(f"dropped {_count(rows)} ({_names(rows)}); the audit trail records it")
    return EXIT_OK


def _count(rows: list[OutboxRow]) -> str:
    return f"{len(rows)} dead letter{'s' if len(rows) != 1 else ''}"


def _names(rows: list[OutboxRow]) -> str:
    return ", ".join(f"#{r.id} for {r.channel}" for r in rows)


def _code(row: OutboxRow) -> str:
    """Slack's error code in the row's last error (``channel_not_found: ...``)."""
    return (row.last_error or "").split(":", 1)[0].strip()


def row_data(row: OutboxRow) -> dict[str, Any]:
    """One row as JSON-ready data."""
    data: dict[str, Any] = {
        "id": row.id,
        "state": row.status,
        "waiting_for": row.waiting_for,
        "queued_at": row.created_at.isoformat(),
        "rule": row.rule,
        "channel": row.channel,
        "kind": row.kind,
        "ordernumbers": row.ordernumbers,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat(),
        "last_error": row.last_error,
        "may_be_in_slack": row.may_be_in_slack_since() is not None,
        "text": row.text,
    }
    if row.status == "dead":
        data["advice"] = advice(_code(row), channel=row.channel, rule=row.rule)
    return data


def list_text(rows: list[OutboxRow], *, dead_only: bool) -> str:
    """The rows as a table, and what to do about the dead letters among them."""
    if not rows:
        return "no dead letters" if dead_only else "the outbox is empty: every alert was delivered"
    headers = ("ID", "STATE", "QUEUED", "RULE", "CHANNEL", "KIND", "TRIES", "ORDERS", "LAST ERROR")
    body = [
        (
            str(r.id),
            f"{r.status} ({r.waiting_for})"
            if r.waiting_for and r.status == "waiting"
            else r.status,
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.rule,
            r.channel,
            r.kind,
            str(r.attempts),
            _orders(r.ordernumbers),
            _short(r.last_error or "-"),
        )
        for r in rows
    ]
    lines = [table(headers, body)]
    dead = [r for r in rows if r.status == "dead"]
    for r in dead:
        lines.append(f"#{r.id}: {advice(_code(r), channel=r.channel, rule=r.rule)}")
    if dead:
        first, one = dead[0].id, len(dead) == 1
        lines.append(
            f"{_count(dead)}: once fixed, `orderbot outbox retry {first}` (or `retry --all`)"
            f" posts {'it' if one else 'them'} again; `orderbot outbox drop {first}` gives"
            f" {'it' if one else 'one'} up."
        )
    return "\n".join(lines)


def _state(row: OutboxRow) -> str:
    """The state, and what a waiting row waits for (``waiting (hours)``)."""
    return f"{row.status} ({row.waiting_for})" if row.status == "waiting" else row.status


def _orders(numbers: list[str]) -> str:
    if len(numbers) <= 2:
        return ",".join(numbers) or "-"
    return f"{numbers[0]},{numbers[1]} +{len(numbers) - 2}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"
