"""Composing and scheduling summaries (``bot.watch.summaries``): what is on hold now that a
summary matches, grouped by hold reason, oldest first, with ages and owners, in pages that
each stay within Slack's limits (``bot.slack.budget``).

``run_summaries`` is the writer's pass (``bot.watch.scheduled``): for each summary whose
latest slot has not run, ONE transaction records the slot and queues its pages in the
outbox, so a restart neither skips a summary nor posts one twice; a summary that matches
nothing records its slot and says so in the log. A summary seen for the first time counts
from its next slot. ``compose`` serves ``orderbot summary NAME`` too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot.clock import duration_words
from bot.ingram.codes import hold_description
from bot.slack.blocks import Block, context, header, pack
from bot.slack.budget import within_budget
from bot.slack.mrkdwn import api_text, escape, mention
from bot.store import Owner, SnapshotRow, current_holds, owners_of
from bot.store.outbox import SUMMARY
from bot.store.queueing import QueuedRow, message_row
from bot.store.summaries import claim_slot, first_seen, get_summary_run
from bot.watch.summaries import Summary

log = logging.getLogger("orderbot.summaries")

#: Characters of lines one page of a summary holds (Slack refuses more than about 12,000).
PAGE_TEXT = 8000
#: Sections of lines one page holds.
PAGE_SECTIONS = 40


def rule_of(summary: Summary) -> str:
    """What the outbox rows of a summary name as their rule."""
    return f"summary {summary.name}"


def matching_holds(db: Database, summary: Summary) -> list[SnapshotRow]:
    """The shipments on hold now that the summary matches (deleted orders wait for nothing)."""
    rows = [r for r in current_holds(db, None) if not r.state.deleted]
    return [r for r in rows if summary.matches(_values(r))]


def _values(row: SnapshotRow) -> dict[str, str]:
    return {
        "ordernumber": row.ordernumber,
        "subordernumber": row.subordernumber,
        "customerordernumber": row.customerordernumber,
        "statuscode": row.statuscode,
        "status": row.status,
        "holdreasoncode": row.holdreasoncode,
        "holdreason": row.holdreason,
    }


def _line(row: SnapshotRow, owner: Owner | None, now: datetime) -> str:
    held = duration_words(now - row.hold_since) if row.hold_since else "?"
    who = f" · {mention(owner.owner_id)} is on it" if owner and owner.owner_id else " · nobody"
    po = api_text(row.customerordernumber, 100) or "-"
    return f"• *{escape(row.subordernumber)}* (PO {po}) held {held}{who}"


def _pages(lines: list[str]) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and size + len(line) + 1 > PAGE_TEXT:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    return pages


def summary_pages(
    summary: Summary, rows: Sequence[SnapshotRow], owners: dict[str, Owner], now: datetime
) -> list[tuple[str, list[Block]]]:
    """(notification text, blocks) of each page: grouped by hold reason, the oldest hold
    first (groups too), with ages and owners."""
    groups: dict[str, list[SnapshotRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.hold_since or now):
        groups[row.holdreasoncode].append(row)
    lines: list[str] = []
    for code, members in groups.items():
        words = escape(hold_description(code) or members[0].holdreason or "unknown hold code")
        lines.append(f"*`{api_text(code, 10)}` {words}* · {len(members)}")
        lines += [_line(r, owners.get(r.ordernumber), now) for r in members]
    pages = _pages(lines)
    total = len(pages)
    out = []
    for number, page in enumerate(pages, start=1):
        title = f"{summary.name}: {len(rows)} shipments on hold"
        if total > 1:
            title += f" (page {number} of {total})"
        sections, _left = pack(page, PAGE_SECTIONS)
        blocks = [header(title), *sections, context(f"As of {now:%Y-%m-%d %H:%M UTC}")]
        assert within_budget(blocks), "a summary page over Slack's budget"
        out.append((title, blocks))
    return out


def compose(db: Database, summary: Summary, now: datetime) -> list[QueuedRow]:
    """The outbox rows of the summary as it is now (none when nothing matches)."""
    rows = matching_holds(db, summary)
    if not rows:
        return []
    owners = owners_of(db, [r.ordernumber for r in rows])
    return [
        message_row(
            at=now,
            rule=rule_of(summary),
            channel=summary.channel,
            kind=SUMMARY,
            ordernumbers=[],
            text=text,
            blocks=blocks,
        )
        for text, blocks in summary_pages(summary, rows, owners, now)
    ]


def run_summaries(
    db: Database, summaries: Iterable[Summary], now: datetime, default_zone: ZoneInfo
) -> int:
    """Queue every summary whose latest slot has not run (see the module's docstring); how
    many pages were queued."""
    queued = 0
    for summary in summaries:
        slot = summary.latest_slot(now, summary.zone or default_zone)
        if slot is None:
            continue
        if get_summary_run(db, summary.name) is None:
            first_seen(db, summary.name, slot)
            continue
        pages = compose(db, summary, now)
        outcome = f"{len(pages)} pages" if pages else "nothing matched"
        if claim_slot(db, summary.name, slot, now=now, pages=pages, outcome=outcome):
            queued += len(pages)
            if not pages:
                log.info(
                    "summary %s (due %s) skipped: nothing on hold matches it", summary.name, slot
                )
    return queued
