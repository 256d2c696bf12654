"""Orders as plain-text tables and JSON, for the command line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.ingram.models import DeleteResult, Order


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A left-aligned text table with a header row."""
    rows = [list(map(str, r)) for r in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines)


def _code(code: str) -> str:
    return code or "-"


def order_text(order: Order, highlight: str | None = None) -> str:
    """One order: a heading line and a table of its shipments."""
    entered = order.entrytimestamp.strftime("%Y-%m-%d %H:%M UTC") if order.entrytimestamp else "?"
    head = f"Order {order.ordernumber}  PO {order.customerordernumber or '-'}  entered {entered}"
    rows = [
        (
            ("> " if highlight and s.subordernumber == highlight else "  ") + s.subordernumber,
            _code(s.statuscode),
            s.status_text,
            _code(s.holdreasoncode),
            s.hold_text if s.on_hold else "",
        )
        for s in order.suborders
    ]
    if not rows:
        return head + "\n  (Ingram sent no shipments for this order)"
    return head + "\n" + table(("  SUBORDER", "ST", "STATUS", "HOLD", "HOLD REASON"), rows)


def orders_text(orders: Sequence[Order], highlight: str | None = None) -> str:
    return "\n\n".join(order_text(o, highlight) for o in orders)


def order_data(order: Order) -> dict[str, Any]:
    """An order as plain JSON-ready data."""
    return {
        "ordernumber": order.ordernumber,
        "entrytimestamp": order.entrytimestamp.isoformat() if order.entrytimestamp else None,
        "customerordernumber": order.customerordernumber,
        "suborders": [
            {
                "subordernumber": s.subordernumber,
                "statuscode": s.statuscode,
                "status": s.status_text,
                "holdreasoncode": s.holdreasoncode,
                "holdreason": s.hold_text if s.on_hold else "",
                "on_hold": s.on_hold,
                "deleted": s.deleted,
            }
            for s in order.suborders
        ],
    }


def delete_data(result: DeleteResult) -> dict[str, Any]:
    return {
        "ordernumber": result.ordernumber,
        "outcome": result.outcome.value,
        "message": result.message,
        "statuscode": result.statuscode,
        "remedy": result.remedy,
    }


def refusal_data(ordernumber: str, reason: str, message: str) -> dict[str, Any]:
    """A delete that was not sent (refused by orderbot, or cancelled), with the keys of
    ``delete_data``: ``outcome`` is ``refused`` (or ``cancelled``) and ``reason`` says why."""
    cancelled = reason == "cancelled"
    return {
        "ordernumber": ordernumber,
        "outcome": "cancelled" if cancelled else "refused",
        "reason": reason,
        "message": message or ("not deleted" if cancelled else ""),
        "statuscode": None,
        "remedy": None,
    }


def dumps(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
