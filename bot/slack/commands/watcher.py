"""``/order holds`` and ``/order status``: the hold watcher's view, from SQLite alone.

Neither calls Ingram: holds come from the snapshot the poller keeps, status from the polls
and outbox tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from bot.clock import duration_words as age
from bot.ingram.codes import DELETED_HOLD, hold_description
from bot.slack.blocks import Message, context, header, pack, plural, section
from bot.slack.mrkdwn import api_text, escape, mention
from bot.slack.paging import Listing, PageRef, paged
from bot.slack.services import RulesView, Services
from bot.store import (
    Lease,
    Owner,
    current_holds,
    dead_letters,
    get_lease,
    last_poll,
    last_successful_poll,
    outbox_stats,
    owners_of,
)


def owned(owner: Owner | None, now: datetime) -> str:
    """ " · @alice is on it · snoozed until 14:00" for a holds line ("" for nobody)."""
    if owner is None:
        return ""
    said = f" · {mention(owner.owner_id)} is on it" if owner.owner_id else ""
    if owner.snoozed(now):
        until = "the order changes" if owner.snooze_until_change else None
        if until is None and owner.snooze_until is not None:
            until = owner.snooze_until.strftime("%H:%M UTC")
        said += f" · :zzz: snoozed until {until}"
    return said


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


async def holds(services: Services, code: str | None, page: int = 1) -> Message:
    """What is on hold now, grouped by hold reason, oldest first, with how long; in pages,
    the first lines of each saying how many in all and how many of each code."""
    rows = await services.store.run(current_holds, code)
    deleted = 0
    if code != DELETED_HOLD:  # a deleted order waits for nothing; asked for by name, it shows
        kept = [r for r in rows if r.holdreasoncode != DELETED_HOLD]
        deleted, rows = len(rows) - len(kept), kept
    now = services.clock()
    last = await services.store.run(last_successful_poll)
    seen = f"As of the last poll, {_at(last.finished_at)}." if last else "No poll has run yet."
    if deleted:
        seen += (
            f" {plural(deleted, 'shipment')} of deleted orders (`{DELETED_HOLD}`) left out:"
            f" `/order holds {DELETED_HOLD}` lists them."
        )
    if not rows:
        what = f" with hold code `{escape(code)}`" if code else ""
        return Message(
            "Nothing is on hold",
            [section(f":white_check_mark: No shipment is on hold{what}."), context(seen)],
        )
    owners = await services.store.run(owners_of, [r.ordernumber for r in rows])
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[row.holdreasoncode].append(row)
    oldest_first = sorted(groups.items(), key=lambda item: item[1][0].hold_since or now)
    lines: list[str] = []
    headings: set[int] = set()
    for hold_code, members in oldest_first:
        headings.add(len(lines))
        lines.append(
            f"*`{api_text(hold_code, 10)}`"
            f" {escape(hold_description(hold_code) or 'unknown hold code')}*"
            f" · {plural(len(members), 'shipment')}"
        )
        for row in members:
            held = age(now - row.hold_since) if row.hold_since else "?"
            lines.append(
                f"• *{escape(row.subordernumber)}*"
                f" (PO {api_text(row.customerordernumber, 100) or '-'})"
                f" held {held} · {api_text(row.hold_text)}"
                + owned(owners.get(row.ordernumber), now)
            )
    head = [header(f"{plural(len(rows), 'shipment')} on hold"), context(seen)]
    if len(groups) > 1:
        counts = " · ".join(f"`{api_text(c, 10)}` {len(m)}" for c, m in oldest_first)
        head.append(context(f"By hold code: {counts}"))
    ref = PageRef("holds", code or "", page)
    hint = "" if code else "`/order holds CODE` shows one hold code."
    shown = paged(head, Listing(lines, frozenset(headings)), [], ref, hint=hint)
    text = f"{len(rows)} shipment(s) on hold"
    if shown.pages > 1:
        text += f" (page {shown.page} of {shown.pages})"
    return Message(text, shown.blocks)


#: At most this many problems of a refused rules version are listed in ``/order status``.
MAX_REFUSAL_LINES = 5


def rules_lines(rules: RulesView | None, now: datetime) -> list[str]:
    """The rules in force (how many, from where, loaded when) and a refusal still in force."""
    if rules is None:
        return []
    lines = [
        f"*Rules* {plural(rules.count, 'rule')} from `{escape(rules.source)}`, loaded"
        f" {_at(rules.loaded_at)} ({age(now - rules.loaded_at)} ago)"
    ]
    refusal = rules.refusal
    if refusal is None:
        return lines
    problems = list(refusal.problems)
    lines.append(
        f":x: *Rules refused* {_at(refusal.at)} ({age(now - refusal.at)} ago):"
        f" {plural(len(problems), 'problem')}; the rules above stay in force until a good"
        " version loads"
    )
    lines += [f"• {api_text(problem)}" for problem in problems[:MAX_REFUSAL_LINES]]
    if len(problems) > MAX_REFUSAL_LINES:
        lines.append(
            f"…and {len(problems) - MAX_REFUSAL_LINES} more:"
            f" `orderbot rules check {escape(rules.source)}` lists them all"
        )
    return lines


def writer_line(lease: Lease | None, now: datetime) -> str:
    """Which process holds the writer lease (it polls and delivers), from the database."""
    if lease is None:
        return "*Writer* none yet: no process has polled or delivered for this database"
    who = escape(lease.describe())
    if lease.expires_at <= now:
        return (
            f"*Writer* none: the lease of {who} expired {age(now - lease.expires_at)} ago;"
            " the next orderbot serve (or poll --once) takes it"
        )
    return (
        f"*Writer* {who}, since {_at(lease.acquired_at)}; lease renewed"
        f" {age(now - lease.renewed_at)} ago"
    )


async def status(services: Services) -> Message:
    """When the watcher last polled, what it cost, and how delivery is doing."""
    now = services.clock()
    last = await services.store.run(last_poll)
    good = await services.store.run(last_successful_poll)
    stats = await services.store.run(outbox_stats, now)
    dead = await services.store.run(dead_letters, 5)
    lease = await services.store.run(get_lease)
    lines = []
    if last is None:
        lines.append(":hourglass: No poll has run yet.")
    else:
        state = (
            ":white_check_mark: succeeded"
            if last.ok
            else f":x: failed: {api_text(last.error or 'unknown error', 500)}"
        )
        lines.append(
            f"*Last poll* {_at(last.finished_at)} ({age(now - last.finished_at)} ago): {state}"
            f" · took {last.duration_s:.1f} s · {plural(last.calls, 'Ingram call')}"
            f" · {plural(last.orders, 'order')}, {plural(last.suborders, 'shipment')}"
            f" · {plural(last.events, 'change')}, {plural(last.alerts, 'alert')}"
            + (" (the baseline: no alerts on a first poll)" if last.baseline else "")
        )
        if not last.ok and good is not None:
            since = age(now - good.finished_at)
            lines.append(f"*Last successful poll* {_at(good.finished_at)} ({since} ago)")
    if services.poll_interval:
        lines.append(f"*Polling* every {age(timedelta(seconds=services.poll_interval))}")
    else:
        lines.append("*Polling* is off (ORDERBOT_POLL_INTERVAL=0)")
    lines += rules_lines(services.rules, now)
    lines.append(writer_line(lease, now))
    backlog = f"*Outbox* {stats.pending} alert{'s' if stats.pending != 1 else ''} waiting"
    if stats.oldest_pending_at is not None:
        backlog += f", the oldest for {age(now - stats.oldest_pending_at)}"
    lines.append(backlog + f" · {stats.dead} dead letter{'s' if stats.dead != 1 else ''}")
    if stats.settling or stats.waiting_hours or stats.undone:
        lines.append(
            f"*Not yet* {plural(stats.settling, 'alert')} settling"
            f" · {plural(stats.waiting_hours, 'alert')} waiting for their rule's hours"
            f" · {plural(stats.undone, 'alert')} kept quiet by settling (undone in time)"
        )
    for row in dead:
        lines.append(
            f"• :warning: alert #{row.id} for {escape(row.channel)} (rule {escape(row.rule)}):"
            f" {api_text(row.last_error or 'failed')}"
        )
    if stats.dead:
        lines.append(
            "_Dead letters are alerts Slack refused for good. Fix the channel or invite the bot,"
            " then `orderbot outbox retry --all` posts them again (`orderbot outbox retry ID`"
            " one of them); `orderbot outbox list --dead` lists them all with what to do, and"
            " `orderbot outbox drop ID` gives one up._"
        )
    return Message("orderbot status", [header("Hold watcher status"), *pack(lines, 40)[0]])
