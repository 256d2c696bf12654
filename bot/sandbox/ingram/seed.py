"""Seed data for the Ingram Micro sandbox: realistic orders that cover every code of the spec.

``build_seed(now)`` is the sandbox's default data set: three customers' orders entered in the
20 days before ``now``, with one to many shipments, using every order status and every hold
reason code of the spec (blank included) on orders of ``SANDBOX_CUSTOMER``, plus the fixed
orders that the demo, the tests and the README name (20-RD12H, 20-11852, ...).
``build_bulk(now, n)`` makes ``n`` suborders of plain generated orders, fast, for load tests.

Both are deterministic: the same ``now`` gives the same orders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.ingram.codes import HOLD_REASONS, ORDER_STATUSES, hold_description, status_description

SANDBOX_CUSTOMER = "20-123456"
SANDBOX_COUNTRY = "UK"
#: A second UK customer of the seed, whose orders the sandbox customer must never see.
OTHER_CUSTOMER = "20-654321"
#: A German customer of the seed.
DE_CUSTOMER = "40-778899"

#: How far back the seed's entry timestamps reach.
SEED_SPAN = timedelta(days=20)


@dataclass(slots=True)
class SeedSuborder:
    """One shipment as the sandbox stores it (mutable: scenarios and deletes change it)."""

    subordernumber: str
    statuscode: str = ""
    status: str = ""
    holdreasoncode: str = ""
    holdreason: str = ""


@dataclass(slots=True)
class SeedOrder:
    """One sales order as the sandbox stores it.

    ``link_only_in_search``: searches that are not by order number list this order as an
    entry carrying nothing but its link (as the spec's sample does); a search by its order
    number returns it in full.
    """

    ordernumber: str
    customernumber: str
    country: str
    entrytimestamp: datetime
    customerordernumber: str
    suborders: list[SeedSuborder] = field(default_factory=list)
    link_only_in_search: bool = False


def api_status_text(code: str) -> str:
    """A status code's text in the API's upper-case style ("C" -> "CREDIT HOLD")."""
    return status_description(code).upper()


def api_hold_text(code: str) -> str:
    """A hold reason code's text in the API's upper-case style; blank for no hold."""
    code = code.strip().upper()
    return hold_description(code).upper() if code else ""


#: Hold texts as Ingram's ERP writes them (short, upper case), one per hold reason code.
ERP_HOLD_TEXTS: dict[str, str] = {
    "AC": "ADJUSTED COST REVIEW",
    "BA": "BAD SHIP-TO ADDRESS",
    "BL": "SPECIAL BID PENDING",
    "BO": "BILL ONLY - NO SHIPMENT",
    "C3": "CREDIT LIMIT EXCEEDED",
    "C4": "PAST DUE BALANCE",
    "C5": "CREDIT REVIEW NEW ACCT",
    "C8": "ACCOUNT ON STOP",
    "CC": "CARD AUTHORISATION PENDING",
    "CH": "HARD-9 CUST NOT FLOOR ORD",
    "CL": "CREDIT LINE EXCEEDED",
    "EA": "ACOP REVIEW",
    "EH": "ACOP HOLD END USER",
    "ER": "FINAL REVIEW REQUIRED",
    "ES": "END-USER REJECTED",
    "EU": "END-USER DATA MISSING",
    "EX": "EXPORT LICENCE CHECK",
    "FL": "FLOORING APPROVAL PENDING",
    "GM": "GROSS MARGIN BELOW FLOOR",
    "IC": "CUST SETTING HOLD ALL ORDS",
    "IM": "PLACED ON CUSTOMER HOLD",
    "IN": "DROPSHIP VALUE LIMIT",
    "LM": "LINE MARGIN BELOW FLOOR",
    "LT": "LOW MARGIN TOTAL ORDER",
    "MN": "MANUAL PRICE OVERRIDE",
    "PC": "PENDING CREDIT CHECK",
    "PD": "PAST DUE CREDIT CHECK",
    "R1": "RESTRICTED PARTY SCREEN",
    "RP": "RESTRICTED PARTY MATCH",
    "S2": "MIN ORDER FEE + PRICE CHG",
    "SB": "SPECIAL BID EXPIRED",
    "SE": "SPECIAL PRODUCT APPROVAL",
    "SF": "FREIGHT QUOTE REQUIRED",
    "SH": "SALES REVIEW REQUIRED",
    "SM": "MIN ORDER FEE WAIVER",
    "SP": "PRICE CHANGE SINCE QUOTE",
    "TV": "AWAITING VENDOR RESPONSE",
    "VO": "DELETED ORDER",
    "VR": "VENDOR INFO REQUIRED",
    "WT": "OVERWEIGHT SHIPMENT",
    "ZS": "IM-ONLINE OFFLINE",
}

#: The status code a suborder has while it carries each hold reason.
HOLD_STATUS: dict[str, str] = {
    **dict.fromkeys(("C3", "C4", "C5", "C8", "CC", "CH", "CL", "PC", "PD", "FL"), "C"),
    **dict.fromkeys(
        ("SH", "S2", "SB", "BL", "SP", "SM", "MN", "GM", "LM", "LT", "AC", "SE", "ER"), "S"
    ),
    **dict.fromkeys(("BA", "EX", "R1", "RP", "TV", "VR", "WT", "SF", "IN"), "D"),
    **dict.fromkeys(("ZS", "EA", "EH", "ES", "EU", "IM", "IC"), "O"),
    "BO": "E",
    "VO": "V",
}


def sub(number: str, statuscode: str = "", holdreasoncode: str = "") -> SeedSuborder:
    """A suborder with the API's texts: upper-case status, the ERP's hold text."""
    holdreasoncode = holdreasoncode.strip().upper()
    statuscode = statuscode.strip().upper()
    return SeedSuborder(
        number,
        statuscode,
        api_status_text(statuscode),
        holdreasoncode,
        ERP_HOLD_TEXTS.get(holdreasoncode, api_hold_text(holdreasoncode)),
    )


def _order(
    number: str,
    customer: str,
    country: str,
    when: datetime,
    po: str,
    codes: list[tuple[str, str]],
    *,
    link_only: bool = False,
) -> SeedOrder:
    """An order whose shipments -11, -21, -31 ... have the given (status, hold) codes."""
    subs = [sub(f"{number}-{(i + 1) * 10 + 1}", s, h) for i, (s, h) in enumerate(codes)]
    return SeedOrder(number, customer, country, when, po, subs, link_only)


_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_PO_WORDS = ("HELPDESK", "REFRESH", "PROJ", "STOCK", "CLIENT", "LAB", "RENEWAL", "ROLLOUT")
_PO_CLIENTS = ("ACME", "NORTHWIND", "CONTOSO", "FABRIKAM", "GLOBEX", "INITECH", "UMBRELLA")

#: (status, hold) pairs of ordinary shipments, with repeats for a realistic mix.
_ORDINARY: tuple[tuple[str, str], ...] = (
    ("", ""),
    ("", ""),
    ("", ""),
    ("R", ""),
    ("R", ""),
    ("R", ""),
    ("I", ""),
    ("F", ""),
    ("F", ""),
    ("W", ""),
    ("C", "C3"),
    ("S", "SH"),
    ("D", "BA"),
    ("S", "SP"),
)


def _random_po(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return f"PO-{rng.randint(10000, 99999)}"
    if kind == 1:
        return f"{rng.choice(_PO_CLIENTS)}-{rng.randint(1000, 9999)}"
    if kind == 2:
        return f"{rng.choice(_PO_WORDS)}-{rng.randint(100, 999)}"
    if kind == 3:
        return f"Q{rng.randint(1, 4)}-{rng.choice(_PO_WORDS)}-{rng.randint(1, 40):02d}"
    return f"SO/{rng.randint(1000, 9999)}/{rng.choice(('UK', 'LON', 'MAN', 'BHX'))}"


def _numbers(rng: random.Random, branch: str, count: int, taken: set[str]) -> list[str]:
    """``count`` new order numbers like 20-11852 or 20-RD12H, none in ``taken``."""
    out: list[str] = []
    while len(out) < count:
        if rng.random() < 0.5:
            body = str(rng.randint(10000, 99999))
        else:
            body = "".join(rng.choice(_ALNUM) for _ in range(5))
        number = f"{branch}-{body}"
        if number not in taken:
            taken.add(number)
            out.append(number)
    return out


def _catalogue_groups() -> list[list[tuple[str, str]]]:
    """Shipment code lists that together use every hold code and every status code."""
    holds = [code for code in HOLD_REASONS if code]
    pairs = [(HOLD_STATUS[code], code) for code in holds]
    # Statuses that carry no hold: open, released, billed, invoiced, not released.
    pairs += [("", ""), ("R", ""), ("I", ""), ("F", ""), ("W", "")]
    groups: list[list[tuple[str, str]]] = []
    sizes = (1, 3, 2, 4, 1, 2, 3)
    i = 0
    while pairs:
        size = sizes[i % len(sizes)]
        i += 1
        groups.append(pairs[:size])
        pairs = pairs[size:]
    return groups


def build_seed(now: datetime) -> list[SeedOrder]:
    """The sandbox's default orders, entered in the 20 days before ``now`` (deterministic).

    For ``SANDBOX_CUSTOMER`` (UK), about 150 orders, among them:

    * 20-RD12H, PO CUSTPO: -11 credit hold (C/CH, "HARD-9 CUST NOT FLOOR ORD", as in the
      spec's sample), -21 open, -31 sales hold (S/SH);
    * 20-RD47K, PO CUSTPO (so a PO search finds several orders) and 20-LNK01, PO CUSTPO, which
      searches not by order number list as a link only;
    * 20-11852: two shipments on customer hold (IM), as orders placed with
      ``placeoncustomerhold`` are: deletable;
    * 20-REL01 released (R), 20-INV01 invoiced (F) and billed (I): not deletable;
    * 20-DEL01 already deleted (V/VO); 20-SH001 one shipment on sales hold (S/SH);
    * 20-MX14B with 14 shipments;
    * orders using every status and hold reason code, and ordinary orders.

    ``OTHER_CUSTOMER`` (UK, one of its orders also has PO CUSTPO) and ``DE_CUSTOMER`` (DE) have
    a few orders each.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now = now.astimezone(UTC).replace(microsecond=0)
    rng = random.Random(20201028)

    def ago(hours: float) -> datetime:
        return now - timedelta(seconds=round(hours * 3600))

    c, uk = SANDBOX_CUSTOMER, SANDBOX_COUNTRY
    orders: list[SeedOrder] = [
        _order("20-RD12H", c, uk, ago(53.25), "CUSTPO", [("C", "CH"), ("", ""), ("S", "SH")]),
        _order("20-RD47K", c, uk, ago(146.5), "CUSTPO", [("R", ""), ("", "")]),
        _order("20-LNK01", c, uk, ago(221.1), "CUSTPO", [("", "")], link_only=True),
        _order("20-11852", c, uk, ago(27.4), "PO-44871", [("O", "IM"), ("O", "IM")]),
        _order("20-REL01", c, uk, ago(98.0), "ACME-7731", [("R", ""), ("W", "")]),
        _order("20-INV01", c, uk, ago(310.75), "REFRESH-118", [("F", ""), ("I", "")]),
        _order("20-DEL01", c, uk, ago(75.3), "LAB-402", [("V", "VO"), ("V", "VO")]),
        _order("20-SH001", c, uk, ago(12.6), "Q4-ROLLOUT-07", [("S", "SH")]),
    ]
    big = [("F", ""), ("F", ""), ("I", ""), ("R", ""), ("R", ""), ("R", ""), ("W", "")]
    big += [("", ""), ("", ""), ("D", "TV"), ("C", "C4"), ("S", "SP"), ("", ""), ("", "")]
    orders.append(_order("20-MX14B", c, uk, ago(400.2), "ROLLOUT-2024-LON", big))

    taken = {o.ordernumber for o in orders}
    groups = _catalogue_groups()
    for number, codes in zip(_numbers(rng, "20", len(groups), taken), groups, strict=True):
        orders.append(_order(number, c, uk, ago(rng.uniform(0.5, 470)), _random_po(rng), codes))

    target = 150
    fillers = _numbers(rng, "20", target - len(orders), taken)
    for number in fillers:
        count = rng.choice((1, 1, 1, 2, 2, 3, 4, 5))
        codes = [rng.choice(_ORDINARY) for _ in range(count)]
        orders.append(_order(number, c, uk, ago(rng.uniform(0.5, 478)), _random_po(rng), codes))

    # A second UK customer: one of its orders shares the PO "CUSTPO".
    other = OTHER_CUSTOMER
    orders.append(_order("20-XC001", other, uk, ago(50.0), "CUSTPO", [("C", "C5"), ("", "")]))
    for number in _numbers(rng, "20", 19, taken):
        count = rng.choice((1, 2, 3))
        codes = [rng.choice(_ORDINARY) for _ in range(count)]
        orders.append(_order(number, other, uk, ago(rng.uniform(0.5, 478)), _random_po(rng), codes))

    # A German customer.
    for number in _numbers(rng, "40", 10, taken):
        count = rng.choice((1, 2, 3, 6))
        codes = [rng.choice(_ORDINARY) for _ in range(count)]
        po = f"BESTELLUNG-{rng.randint(1000, 9999)}"
        orders.append(_order(number, DE_CUSTOMER, "DE", ago(rng.uniform(0.5, 478)), po, codes))
    return orders


#: The repeating shipment pattern of ``build_bulk``: mostly open, released and invoiced.
_BULK_PATTERN: tuple[tuple[str, str, str, str], ...] = tuple(
    (s, api_status_text(s), h, ERP_HOLD_TEXTS.get(h, ""))
    for s, h in (
        ("", ""),
        ("R", ""),
        ("", ""),
        ("F", ""),
        ("R", ""),
        ("", ""),
        ("C", "C3"),
        ("I", ""),
        ("", ""),
        ("R", ""),
        ("S", "SH"),
        ("F", ""),
        ("", ""),
        ("W", ""),
        ("D", "BA"),
        ("R", ""),
        ("", ""),
        ("F", ""),
        ("O", "IM"),
    )
)
#: Shipments per order, repeating; the mean is 4.
_BULK_SIZES = (1, 3, 4, 6, 2, 5, 4, 7, 4, 4)


def build_bulk(
    now: datetime,
    suborders: int,
    customernumber: str = SANDBOX_CUSTOMER,
    country: str = "UK",
    *,
    prefix: str = "B",
) -> list[SeedOrder]:
    """Plain generated orders with ``suborders`` shipments in all (about 4 per order).

    Order numbers are ``<branch>-<prefix><n>`` (branch = the customer number's first part),
    so they never collide with ``build_seed``'s; use another ``prefix`` for a second batch.
    Entry timestamps spread evenly over the 20 days before ``now``.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now = now.astimezone(UTC).replace(microsecond=0)
    branch = customernumber.split("-", 1)[0] or "20"
    estimate = max(1, -(-suborders // 4))
    width = max(5, len(str(estimate)))
    step = max(1, int(SEED_SPAN.total_seconds()) // (estimate + 1))
    pattern, sizes = _BULK_PATTERN, _BULK_SIZES
    n_pattern, n_sizes = len(pattern), len(sizes)
    second = timedelta(seconds=1)
    orders: list[SeedOrder] = []
    made = 0
    i = 0
    while made < suborders:
        size = min(sizes[i % n_sizes], suborders - made)
        number = f"{branch}-{prefix}{i:0{width}d}"
        subs = []
        for j in range(size):
            s, stext, h, htext = pattern[(made + j) % n_pattern]
            subs.append(SeedSuborder(f"{number}-{(j + 1) * 10 + 1}", s, stext, h, htext))
        when = now - second * (step * (i + 1) % int(SEED_SPAN.total_seconds()))
        orders.append(SeedOrder(number, customernumber, country, when, f"BULK-{i}", subs))
        made += size
        i += 1
    return orders


# --- JSON, for the control API ---------------------------------------------------------------


def order_to_json(order: SeedOrder) -> dict[str, Any]:
    """A stored order as plain JSON (the control API's view of it)."""
    return {
        "ordernumber": order.ordernumber,
        "customernumber": order.customernumber,
        "country": order.country,
        "entrytimestamp": order.entrytimestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "customerordernumber": order.customerordernumber,
        "link_only_in_search": order.link_only_in_search,
        "suborders": [suborder_to_json(s) for s in order.suborders],
    }


def suborder_to_json(s: SeedSuborder) -> dict[str, str]:
    """A stored suborder's number, codes and texts as plain JSON."""
    return {
        "subordernumber": s.subordernumber,
        "statuscode": s.statuscode,
        "status": s.status,
        "holdreasoncode": s.holdreasoncode,
        "holdreason": s.holdreason,
    }


def order_from_json(data: Any, now: datetime) -> SeedOrder:
    """A ``SeedOrder`` from the control API's JSON; raises ``ValueError`` saying what is wrong.

    Defaults: customer ``SANDBOX_CUSTOMER``, country UK, entry time ``now``, PO "", suborder
    numbers -11, -21, ..., texts from the code tables. Codes must be codes of the spec.
    """
    if not isinstance(data, dict):
        raise ValueError("an order must be a JSON object")
    number = str(data.get("ordernumber") or "").strip().upper()
    if not number:
        raise ValueError("ordernumber is required")
    raw_when = data.get("entrytimestamp")
    if raw_when:
        try:
            when = datetime.fromisoformat(str(raw_when).strip())
        except ValueError:
            raise ValueError(f"entrytimestamp {raw_when!r} is not ISO 8601") from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    else:
        when = now
    raw_subs = data.get("suborders") or [{}]
    if not isinstance(raw_subs, list):
        raise ValueError("suborders must be a list")
    subs = []
    for i, item in enumerate(raw_subs):
        if not isinstance(item, dict):
            raise ValueError("each suborder must be a JSON object")
        s = str(item.get("statuscode") or "").strip().upper()
        h = str(item.get("holdreasoncode") or "").strip().upper()
        if s not in ORDER_STATUSES:
            raise ValueError(f"statuscode {s!r} is not an order status code of the spec")
        if h not in HOLD_REASONS:
            raise ValueError(f"holdreasoncode {h!r} is not a hold reason code of the spec")
        subs.append(
            SeedSuborder(
                str(item.get("subordernumber") or f"{number}-{(i + 1) * 10 + 1}").strip().upper(),
                s,
                str(item["status"]) if item.get("status") is not None else api_status_text(s),
                h,
                str(item["holdreason"]) if item.get("holdreason") is not None else api_hold_text(h),
            )
        )
    return SeedOrder(
        ordernumber=number,
        customernumber=str(data.get("customernumber") or SANDBOX_CUSTOMER).strip(),
        country=str(data.get("country") or SANDBOX_COUNTRY).strip().upper(),
        entrytimestamp=when.astimezone(UTC),
        customerordernumber=str(data.get("customerordernumber") or "").strip(),
        suborders=subs,
        link_only_in_search=bool(data.get("link_only_in_search", False)),
    )
