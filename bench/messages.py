"""The largest message each kind of answer produces, next to Slack's limits.

``SandboxWorld`` runs the real bot (``orderbot serve``'s code path, HTTP mode) against the
Ingram emulator and the Slack stand-in, which refuses what Slack refuses (``invalid_blocks``,
``msg_blocks_too_long`` past 12,000 characters of block text). The worst cases are driven
through it, every page of every paged answer is turned with its Next button, and the largest
message of each kind is measured where Slack measures it, in the stand-in:

* ``/order holds`` with the seed's holds, 150 more, and the shipments below (on hold too);
* a lookup of an order of 60 shipments whose texts are 2,000 characters each;
* ``/order po`` of a PO with 40 orders of 5 shipments;
* a delete prompt for an order of 200 shipments;
* a lookup shared in the channel;
* ``/order status`` after a poll failed with a 10,000-character error;
* an alert for a shipment with 2,000-character texts, and a digest of all the changes the
  above made.

Run: ``python bench/messages.py``. Exits 1 if any message is over orderbot's budget.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.clock import utc_now
from bot.sandbox.ingram import SANDBOX_COUNTRY, SANDBOX_CUSTOMER, SeedOrder, SeedSuborder
from bot.sandbox.slack import Message, SlackUser
from bot.sandbox.slack.validation import MAX_BLOCK_TEXT as SLACK_MAX_BLOCK_TEXT
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.slack.budget import MAX_BLOCK_TEXT, MAX_BLOCKS
from bot.store import outbox_stats, record_failed_poll

LONG = "LONG TEXT FROM INGRAM & <MORE> " * 70  # about 2,000 characters
RULES = """
rules:
  - name: one-shipment
    on: suborder_added
    match:
      subordernumber: 20-ALERT-11
    channel: "#alert"
    message: "New shipment {subordernumber}: {holdreason} / {status}"
  - name: everything
    on: [suborder_added, hold_placed, hold_changed, hold_released, status_changed]
    channel: "#digest"
"""


@dataclass
class Largest:
    """The largest message seen of each kind: (block text, blocks, pages seen)."""

    kinds: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def see(self, kind: str, messages: list[Message]) -> None:
        text, blocks, pages = self.kinds.get(kind, (0, 0, 0))
        for message in messages:
            text, blocks = max(text, message.block_text), max(blocks, len(message.blocks))
        self.kinds[kind] = (text, blocks, max(pages, len(messages)))


def order(number: str, count: int, po: str, *, status: str = "C", hold: str = "CH") -> SeedOrder:
    subs = [SeedSuborder(f"{number}-{i + 11}", status, LONG, hold, LONG) for i in range(count)]
    return SeedOrder(number, SANDBOX_CUSTOMER, SANDBOX_COUNTRY, utc_now(), po, subs)


async def ask(user: SlackUser, text: str) -> Message:
    result = await user.command("/order", text)
    assert result.status == 200, result.body
    return await result.reply(timeout=30)


async def every_page(user: SlackUser, first: Message) -> list[Message]:
    pages = [first]
    while any(b.action_id == "page_next" for b in pages[-1].buttons()):
        pressed = await user.press(pages[-1], "page_next")
        assert pressed is not None
        pages.append(await pressed.reply(timeout=30))
    return pages


async def drive(world: SandboxWorld, largest: Largest) -> None:
    state, alice = world.state, world.user()
    now = utc_now()
    for i in range(150):
        number = f"20-HLD{i:03d}"
        state.add_order(
            SeedOrder(
                number,
                SANDBOX_CUSTOMER,
                SANDBOX_COUNTRY,
                now - timedelta(minutes=i),
                f"PO-{i:03d}",
                [SeedSuborder(f"{number}-11", "C", "", "C4", "")],
            )
        )
    state.add_order(order("20-BIG60", 60, "BIG-PO"))
    state.add_order(order("20-BIG200", 200, "DEL-PO", status="O", hold="IM"))
    for i in range(40):
        state.add_order(order(f"20-PO{i:03d}", 5, "BENCH-PO"))
    state.add_order(order("20-ALERT", 1, "ALERT-PO"))
    report = await world.bot.poller.poll_once()
    assert report.ok and report.alerts, report
    for _ in range(600):
        if (await world.bot.store.run(outbox_stats, utc_now())).pending == 0:
            break
        await asyncio.sleep(0.05)
    posts = [m for m in world.slack.messages if m.kind == "post"]
    largest.see("alert (one event)", [m for m in posts if m.channel_name == "alert"])
    digests = [m for m in posts if m.channel_name == "digest"]
    largest.see(f"digest ({report.events:,} changes)", digests)

    largest.see("/order holds", await every_page(alice, await ask(alice, "holds")))
    big = await every_page(alice, await ask(alice, "20-BIG60"))
    largest.see("lookup, 60 shipments", big)
    largest.see("/order po, 40 orders", await every_page(alice, await ask(alice, "po BENCH-PO")))
    largest.see("delete prompt, 200", await every_page(alice, await ask(alice, "delete 20-BIG200")))
    pressed = await alice.press(big[0], "Share in channel")
    assert pressed is not None
    largest.see("shared lookup", [await pressed.reply(timeout=30)])
    at = utc_now()
    error = "Ingram said " + "x" * 10_000
    await world.bot.store.run(
        record_failed_poll, started_at=at, finished_at=at, calls=1, error=error
    )
    largest.see("/order status", [await ask(alice, "status")])


def table(largest: Largest) -> str:
    rows = [
        "| reply kind | largest block text | blocks | pages |",
        "|---|---:|---:|---:|",
    ]
    for kind, (text, blocks, pages) in largest.kinds.items():
        rows.append(f"| {kind} | {text:,} | {blocks} | {pages} |")
    rows.append(
        f"| *orderbot's budget* | {MAX_BLOCK_TEXT:,} | {MAX_BLOCKS} | |\n"
        f"| *Slack's limit* (`msg_blocks_too_long`, `invalid_blocks`) | ~{SLACK_MAX_BLOCK_TEXT:,}"
        f" | {MAX_BLOCKS} | |"
    )
    return "\n".join(rows)


async def main() -> int:
    largest = Largest()
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.yaml"
        rules.write_text(RULES, encoding="utf-8")
        world = SandboxWorld(retry=FAST_RETRY, poll_interval=3600, rules=rules)
        async with world:
            for _ in range(200):  # the first poll (a baseline) runs at start
                if world.bot.poller is not None and world.bot.poller.last_report is not None:
                    break
                await asyncio.sleep(0.05)
            await drive(world, largest)
    print(table(largest))
    over = [k for k, (text, blocks, _) in largest.kinds.items() if text > MAX_BLOCK_TEXT]
    return 1 if over or any(b > MAX_BLOCKS for _, b, _ in largest.kinds.values()) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
