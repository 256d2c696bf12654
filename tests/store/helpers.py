"""What the store's tests share: a fixed time, snapshot rows, alerts and a poll to write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from bot.clock import iso
from bot.store import SuborderState, save_poll
from bot.watch.alerts import NewAlert
from bot.watch.changes import Event

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def state(sub: str, *, hold: str = "", status: str = "", entry: datetime = T0) -> SuborderState:
    return SuborderState(
        subordernumber=sub,
        ordernumber=sub.rsplit("-", 1)[0],
        customerordernumber="PO-" + sub,
        entrytimestamp=iso(entry) if entry else "",
        statuscode=status,
        status="",
        holdreasoncode=hold,
        holdreason="",
    )


def alert(order: str = "20-A", rule: str = "credit-holds") -> NewAlert:
    return NewAlert(
        rule=rule,
        channel="#credit-alerts",
        kind="alert",
        ordernumbers=[order],
        text=f"Credit hold on {order}",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": order}}],
    )


def poll(
    db: Database,
    current: list[SuborderState],
    *,
    now: datetime,
    events: list[Event] | None = None,
    alerts: list[NewAlert] | None = None,
    prune_before: datetime | None = None,
    baseline: bool = False,
) -> int:
    return save_poll(
        db,
        started_at=now - timedelta(seconds=2),
        finished_at=now,
        calls=3,
        orders=len({s.ordernumber for s in current}),
        current=current,
        events=events or [],
        alerts=alerts or [],
        prune_before=prune_before,
        baseline=baseline,
        now=now,
    )
