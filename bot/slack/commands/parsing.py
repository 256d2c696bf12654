"""Read the text after ``/order`` into one of the commands the app knows. No API calls here."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.ingram.codes import HOLD_REASONS
from bot.ingram.models import parse_order_ref


@dataclass(frozen=True)
class Lookup:
    """``/order 20-RD12H`` or ``/order 20-RD12H-11``."""

    ref: str


@dataclass(frozen=True)
class ByPo:
    """``/order po CUSTPO``."""

    po: str


@dataclass(frozen=True)
class Delete:
    """``/order delete 20-11852``."""

    ref: str


@dataclass(frozen=True)
class Holds:
    """``/order holds [CODE]``."""

    code: str | None = None


@dataclass(frozen=True)
class Status:
    """``/order status``."""


@dataclass(frozen=True)
class Help:
    """``/order help``, or anything that could not be read (``problem`` says what)."""

    problem: str | None = None


Command = Lookup | ByPo | Delete | Holds | Status | Help


def _hold_code(word: str) -> Holds | Help:
    code = word.upper()
    if code in HOLD_REASONS and code:
        return Holds(code)
    near = difflib.get_close_matches(code, [c for c in HOLD_REASONS if c], n=1)
    hint = f" Did you mean `{near[0]}`?" if near else ""
    return Help(f"{word!r} is not one of Ingram Micro's hold reason codes.{hint}")


def parse_command(text: str) -> Command:
    """The command in ``text``; ``Help`` with a problem for anything else."""
    words = text.split()
    if not words:
        return Help()
    verb = words[0].lower()
    rest = words[1:]
    if verb in ("help", "?", "-h", "--help"):
        return Help()
    if verb == "status" and not rest:
        return Status()
    if verb == "holds":
        if not rest:
            return Holds()
        if len(rest) == 1:
            return _hold_code(rest[0])
        return Help("`/order holds` takes at most one hold reason code, e.g. `/order holds CH`.")
    if verb in ("po", "po:"):
        po = " ".join(rest).strip()
        if not po:
            return Help("Give the customer PO number after `po`, e.g. `/order po CUSTPO`.")
        return ByPo(po)
    if verb == "delete":
        if len(rest) != 1:
            return Help("Give one order number after `delete`, e.g. `/order delete 20-11852`.")
        ref = parse_order_ref(rest[0])
        if ref is None:
            return Help(f"{rest[0]!r} is not an order number such as `20-11852`.")
        if ref.subordernumber is not None:
            return Help(
                f"{rest[0]!r} is a shipment. Orders are deleted whole:"
                f" `/order delete {ref.ordernumber}`."
            )
        return Delete(ref.ordernumber)
    if len(words) == 1 and parse_order_ref(words[0]) is not None:
        return Lookup(words[0].upper())
    return Help(f"I could not read {text.strip()!r}.")
