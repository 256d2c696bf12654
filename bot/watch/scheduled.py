"""What the writer does when its time comes: waiting outbox rows and reminders.

Both are rows in the database, never timers in memory, so a restart neither loses nor
repeats one; only the process holding the writer lease runs them (every write is fenced).
``run_due`` is one pass at the clock's ``now``; ``start`` runs a pass every ``every``
seconds (the clock is a parameter: tests call ``run_due`` on a manual clock).

* Waiting rows (``bot.store.waiting``): a row whose settle time is over becomes pending, or
  waits on for its rule's hours when they have not begun; rows that waited for hours go out
  when the hours begin, those of one rule and channel as ONE digest (nothing dropped).
* Summaries (``bot.watch.summary_run``): each one whose time has come is queued once.
* Reminders (``bot.store.reminders``): each due one is decided in one transaction: ended
  when the hold is released, the order deleted or the rule no longer reminds; put off while
  the order is snoozed or outside the rule's hours; else queued in the card's thread with
  ``reply_broadcast`` ("Still on C3 CREDIT HOLD after 4 h; nobody is on it").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot.clock import Clock, duration_words, utc_now
from bot.ingram.codes import hold_description
from bot.slack.blocks import pack
from bot.slack.mrkdwn import api_text, mention
from bot.store import AsyncStore, LeaseLost, OutboxRow, StoreUnavailable
from bot.store.outbox import DIGEST, HOURS, SETTLE
from bot.store.queueing import message_row
from bot.store.reminders import (
    Decision,
    End,
    PutOff,
    ReminderContext,
    Send,
    due_reminders,
    step_reminder,
)
from bot.store.waiting import due_waiting, merge, release, wait_for_hours
from bot.tasks import cancel
from bot.watch.rules import RuleSet
from bot.watch.rules_timing import Hours
from bot.watch.summary_run import run_summaries
from bot.watch.writer import Writer

log = logging.getLogger("orderbot.scheduled")

#: A snoozed "until it changes" order is looked at again this often.
RECHECK = timedelta(minutes=5)


def reminder_text(context: ReminderContext, now: datetime) -> str:
    """ "Still on C3 CREDIT HOLD after 4 h (20-RD12H-21); nobody is on it"."""
    shipment = context.shipment
    assert shipment is not None
    since = shipment.hold_since or context.reminder.started_at
    code = api_text(shipment.holdreasoncode, 10)
    words = api_text(shipment.holdreason or hold_description(shipment.holdreasoncode), 100)
    owner = context.owner
    if owner is not None and owner.owner_id:
        at = f" since {owner.owner_since:%H:%M}" if owner.owner_since else ""
        who = f"{mention(owner.owner_id)} is on it{at}"
    else:
        who = "nobody is on it"
    where = api_text(shipment.subordernumber, 40)
    return f"Still on {code} {words} after {duration_words(now - since)} ({where}); {who}"


def decide(rules: RuleSet, context: ReminderContext, now: datetime) -> Decision:
    """What to do with a due reminder (see the module's docstring)."""
    reminder = context.reminder
    rule = next(
        (r for r in rules if r.name == reminder.rule and r.channel == reminder.channel), None
    )
    if rule is None or rule.remind_after is None:
        return End("the rule no longer reminds")
    shipment = context.shipment
    if shipment is None:
        return End("the order is no longer watched")
    if shipment.state.deleted:
        return End("the order was deleted")
    if not shipment.state.on_hold:
        return End("the hold was released")
    owner = context.owner
    if owner is not None and owner.snoozed(now):
        until = owner.snooze_until if not owner.snooze_until_change else None
        return PutOff(until or now + RECHECK, "snoozed")
    if rule.hours is not None and not rule.hours.is_open(now):
        return PutOff(rule.hours.next_open(now), "outside the rule's hours")
    text = reminder_text(context, now)
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
    return Send(text, now + (rule.remind_every or rule.remind_after), [block])


def _hours_digest(rule_name: str, channel: str, rows: list[OutboxRow], at: datetime) -> dict:
    """The one message for the alerts of one rule and channel that waited for its hours."""
    orders = list(dict.fromkeys(n for row in rows for n in row.ordernumbers))
    title = f"*{len(rows)} alerts* of rule *{api_text(rule_name, 200)}* waited for its hours:"
    sections, left = pack([f"• {row.text}" for row in rows], 40)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}, *sections]
    if left:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {left} more"}]}
        )
    text = f"{len(rows)} alerts of rule {rule_name} waited for its hours"
    return message_row(
        at=at,
        rule=rule_name,
        channel=channel,
        kind=DIGEST,
        ordernumbers=orders,
        text=text,
        blocks=blocks,
    )


def settle_waiting(db: Database, now: datetime) -> int:
    """One transaction over the waiting rows due at ``now``; how many became pending (a
    merged digest counts once)."""
    moved = 0
    opened: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
    for row in due_waiting(db, now):
        hours = Hours.from_text(row.hours) if row.hours else None
        if row.waiting_for == SETTLE and hours is not None and not hours.is_open(now):
            wait_for_hours(db, row.id, hours.next_open(now))
        elif row.waiting_for == HOURS:
            opened[(row.rule, row.channel)].append(row)
        else:
            moved += release(db, [row.id], now)
    for (rule, channel), rows in opened.items():
        if len(rows) == 1:
            moved += release(db, [rows[0].id], now)
        else:
            merge(db, [r.id for r in rows], _hours_digest(rule, channel, rows, now))
            moved += 1
    return moved


class Scheduled:
    """The writer's passes over waiting rows and due reminders."""

    def __init__(
        self,
        store: AsyncStore,
        writer: Writer,
        rules: Callable[[], RuleSet],
        *,
        clock: Clock = utc_now,
        on_queued: Callable[[], None] = lambda: None,
        every: float = 5.0,
        zone: ZoneInfo | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self.rules = rules
        self.clock = clock
        self.on_queued = on_queued
        self.every = every
        self.zone = zone or ZoneInfo("UTC")  # of summaries without a timezone
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="orderbot-scheduled")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel(task)

    async def _run(self) -> None:
        while True:
            await self.writer.wait_open()
            try:
                await self.run_due()
            except (StoreUnavailable, LeaseLost):
                pass  # the store logged it; the writer's gate closes
            except Exception:
                log.exception("the scheduled pass failed; trying again")
            await asyncio.sleep(self.every)

    async def run_due(self) -> int:
        """Move what is due now: waiting rows, reminders and summaries; how many messages
        were queued."""
        now = self.clock()
        queued = await self.store.write(settle_waiting, now)
        rules = self.rules()
        queued += await self.store.write(run_summaries, rules.summaries, now, self.zone)
        for reminder in await self.store.run(due_reminders, now):
            decision = await self.store.write(
                step_reminder, reminder.id, now=now, decide=lambda c: decide(rules, c, now)
            )
            if isinstance(decision, Send):
                queued += 1
            elif isinstance(decision, End):
                log.info(
                    "reminders of %s in %s end: %s",
                    reminder.subordernumber,
                    reminder.channel,
                    decision.why,
                )
        if queued:
            with contextlib.suppress(Exception):
                self.on_queued()
        return queued
