"""``/order``: lookups, help, acks while Ingram is slow, sharing, escaping, Block Kit limits and
every failure as a readable answer. All over loopback: signed requests to the bot served by
``orderbot serve``'s code path, the Ingram emulator and the Slack stand-in."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock, utc_now
from bot.sandbox.ingram import SANDBOX_COUNTRY, SANDBOX_CUSTOMER, Fault, SeedOrder, SeedSuborder
from bot.sandbox.slack import MAX_BLOCKS, Message, validate_blocks
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.slack.budget import MAX_BLOCK_TEXT
from bot.slack.paging import PageRef
from bot.store import audit_log
from tests.slack.helpers import ask, assert_readable, press

# --- lookups -------------------------------------------------------------------------------


async def test_lookup_shows_every_shipment(world: SandboxWorld) -> None:
    result = await world.user().command("/order", "20-RD12H")
    assert result.status == 200 and result.body == ""  # an empty ack: the answer follows
    answer = await result.reply()

    text = answer.all_text
    entered = world.state.order("20-RD12H").entrytimestamp
    assert "Order 20-RD12H" in text and "PO *CUSTPO*" in text
    assert f"entered {entered:%Y-%m-%d %H:%M} UTC" in text
    assert "3 shipments · 2 on hold" in text
    lines = {line.split("*")[1]: line for line in text.split("\n") if line.startswith("• *")}
    assert set(lines) == {"20-RD12H-11", "20-RD12H-21", "20-RD12H-31"}
    assert "`C` CREDIT HOLD" in lines["20-RD12H-11"]
    assert "`CH` HARD-9 CUST NOT FLOOR ORD (Credit check hold)" in lines["20-RD12H-11"]
    assert "IN PROGRESS/OPEN ORDER" in lines["20-RD12H-21"] and "hold" not in lines["20-RD12H-21"]
    assert "`S` SALES HOLD" in lines["20-RD12H-31"]
    assert "`SH` SALES REVIEW REQUIRED (Sales hold)" in lines["20-RD12H-31"]
    assert answer.is_ephemeral and answer.user == "U0ALICE"
    assert world.state.search_calls == 1


async def test_a_suborder_number_finds_its_order_and_highlights_the_shipment(
    world: SandboxWorld,
) -> None:
    answer = await ask(world.user(), "20-rd12h-31")
    text = answer.all_text
    assert "Order 20-RD12H" in text
    assert "You asked for shipment *20-RD12H-31*: `S` SALES HOLD" in text
    assert ":arrow_forward: *20-RD12H-31*" in text
    assert "• *20-RD12H-11*" in text and "• *20-RD12H-21*" in text
    (search,) = [r for r in world.state.requests if r.path.endswith("/orders/search")]
    assert search.query["ordernumber"] == "20-RD12H"


async def test_a_po_search_that_finds_nothing_says_pos_match_as_entered(
    world: SandboxWorld,
) -> None:
    answer = await ask(world.user(), "po custpo")  # CUSTPO exists, in capitals
    text = answer.all_text
    assert "No order found with PO *custpo*" in text
    assert "POs are matched exactly as entered, case included" in text
    assert "/order po" not in text  # not the suggestion to do what the user just did
    shared = await ask(world.user(), "20-NOPE1")
    assert "search by PO with `/order po <PO>`" in shared.all_text  # a number: PO is a way out


async def test_a_deleted_order_counts_its_shipments_as_deleted_not_on_hold(
    world: SandboxWorld,
) -> None:
    text = (await ask(world.user(), "20-DEL01")).all_text
    assert "2 shipments · 2 deleted" in text and "on hold" not in text
    assert "• *20-DEL01-11*  `V` DELETED ORDER · :wastebasket: deleted (hold `VO`)" in text
    assert ":no_entry:" not in text


async def test_a_shipment_the_order_does_not_have_is_said_so(world: SandboxWorld) -> None:
    answer = await ask(world.user(), "20-RD12H-99")
    assert "Order 20-RD12H has no shipment 20-RD12H-99." in answer.all_text


async def test_po_lists_every_order_with_that_po(world: SandboxWorld) -> None:
    answer = await ask(world.user(), "po CUSTPO")
    text = answer.all_text
    assert "3 orders with PO CUSTPO" in text
    for number in ("20-RD12H", "20-RD47K", "20-LNK01"):
        assert f"*Order {number}*" in text
    assert "• *20-LNK01-11*" in text  # the search listed it as a link only: it was fetched
    assert "20-XC001" not in text  # another customer's order with the same PO


async def test_po_reads_every_page(world: SandboxWorld) -> None:
    now = utc_now()
    for i in range(120):
        number = f"20-PG{i:03d}"
        world.state.add_order(
            SeedOrder(
                number,
                SANDBOX_CUSTOMER,
                SANDBOX_COUNTRY,
                now - timedelta(minutes=i),
                "BULK-PO",
                [SeedSuborder(f"{number}-11", "C", "CREDIT HOLD", "C3", "CREDIT LIMIT EXCEEDED")],
            )
        )
    answer = await ask(world.user(), "po BULK-PO")

    pages = [r.query["pagenumber"] for r in world.state.requests if "search" in r.path]
    assert pages == ["1", "2"]
    assert "120 orders with PO BULK-PO" in answer.all_text
    assert "Page 1 of 3." in answer.all_text  # the rest is on the next pages, not dropped
    assert len(answer.blocks) <= MAX_BLOCKS and validate_blocks(answer.blocks) == []


@pytest.mark.parametrize("text", ["help", "", "what is this", "delete", "holds XY", "po"])
async def test_help_and_unreadable_text_answer_usage_without_calling_ingram(
    world: SandboxWorld, text: str
) -> None:
    result = await world.user().command("/order", text)
    assert result.status == 200 and result.body == ""  # acknowledged at once, empty
    shown = await result.reply()  # the usage Bolt acked with, through the response_url
    assert shown.is_ephemeral
    assert "/order 20-RD12H" in shown.all_text and "/order po CUSTPO" in shown.all_text
    assert "/order delete 20-11852" in shown.all_text
    assert world.state.requests == []  # not even a token
    assert [m.kind for m in world.slack.messages] == ["response"]


async def test_an_unreadable_command_says_what_was_wrong(world: SandboxWorld) -> None:
    result = await world.user().command("/order", "holds XY")
    shown = await result.reply()
    assert "'XY' is not one of Ingram Micro's hold reason codes" in shown.all_text


# --- acks and the answer ---------------------------------------------------------------------


async def test_the_ack_is_immediate_while_ingram_takes_two_seconds(world: SandboxWorld) -> None:
    world.state.latency = 2.0
    started = time.perf_counter()
    result = await world.user().command("/order", "20-RD12H")
    assert result.status == 200 and not result.timed_out
    assert result.elapsed < 0.5
    answer = await result.reply(timeout=5)
    assert time.perf_counter() - started >= 2.0
    assert "Order 20-RD12H" in answer.all_text


async def test_a_rate_limited_lookup_waits_then_answers(world: SandboxWorld) -> None:
    world.state.faults.add(Fault(status=429, times=1))
    started = time.perf_counter()
    result = await world.user().command("/order", "20-RD12H")
    assert result.elapsed < 0.5
    answer = await result.reply(timeout=5)
    assert "Order 20-RD12H" in answer.all_text
    assert world.state.rate_limited == 1
    assert time.perf_counter() - started >= 0.9  # it waited for the rate window's reset


async def test_a_queued_lookup_is_acknowledged_and_the_user_told(tmp_path) -> None:
    async with SandboxWorld(retry=FAST_RETRY, env={"INGRAM_RATE_LIMIT": "1"}) as world:
        alice = world.user()
        await ask(alice, "20-RD12H")  # uses the whole budget of one call a minute
        result = await alice.command("/order", "20-SH001")
        assert result.elapsed < 0.5
        notice = await result.reply()
        assert "rate limit is reached; your request is queued" in notice.all_text
        for task in world.bot.services.answers:  # do not wait a minute for the answer
            task.cancel()


async def test_answers_are_ephemeral_with_a_share_button_that_posts_in_channel(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    answer = await ask(alice, "20-RD12H")
    assert answer.is_ephemeral
    share = answer.button("Share in channel")
    assert PageRef.parse(share.value or "") == PageRef("lookup", "20-RD12H")

    pressed = await press(alice, answer, "Share in channel")
    shared = await pressed.reply()
    assert not shared.is_ephemeral and shared.response_type == "in_channel"
    assert shared.replaces is None  # the private answer stays; a copy goes to the channel
    assert "Order 20-RD12H" in shared.all_text and "Shared by <@U0ALICE>" in shared.all_text
    assert not [b for b in shared.buttons() if b.label == "Share in channel"]


async def test_a_po_answer_can_be_shared_too(world: SandboxWorld) -> None:
    alice = world.user()
    answer = await ask(alice, "po CUSTPO")
    shared = await (await press(alice, answer, "Share in channel")).reply()
    assert shared.response_type == "in_channel" and "3 orders with PO CUSTPO" in shared.all_text


# --- what reaches Slack ------------------------------------------------------------------------


async def test_text_from_ingram_is_escaped_for_mrkdwn(world: SandboxWorld) -> None:
    world.state.set_suborder(
        "20-RD12H-11", holdreason="<!channel> pay now <https://evil.example|click here> & more"
    )
    world.state.add_order(
        SeedOrder(
            "20-ESC01",
            SANDBOX_CUSTOMER,
            SANDBOX_COUNTRY,
            utc_now(),
            "<!here> & <@U0BOSS>",
            [SeedSuborder("20-ESC01-11", "S", "<b>SALES</b>", "SH", "a > b & c < d")],
        )
    )
    alice = world.user()
    answer = await ask(alice, "20-RD12H")
    shared = await (await press(alice, answer, "Share in channel")).reply()
    other = await ask(alice, "20-ESC01")

    for message in (answer, shared):
        text = message.all_text
        assert "&lt;!channel&gt; pay now &lt;https://evil.example|click here&gt; &amp; more" in text
        assert "<!channel>" not in text and "<https://evil" not in text
    text = other.all_text
    assert "&lt;!here&gt; &amp; &lt;@U0BOSS&gt;" in text
    assert "&lt;b&gt;SALES&lt;/b&gt;" in text and "a &gt; b &amp; c &lt; d" in text
    assert "<!here>" not in text and "<@U0BOSS>" not in text


HOSTILE_PO = "@here see http://evil.example/pay #general www.evil.example"
#: A right-to-left override, a pop, a zero-width space and an isolate: invisible, but they
#: reorder or hide what a person reads ("PO ABC" shown as "PO CBA").
BIDI = "\u202eCBA\u202c\u200b\u2066X\u2069\ufeff"


def _mrkdwn_objects(blocks: list) -> list[dict]:
    found: list[dict] = []
    for block in blocks:
        for value in (block.get("text"), *(block.get("fields") or []), *block.get("elements", [])):
            if isinstance(value, dict) and value.get("type") == "mrkdwn":
                found.append(value)
    return found


async def test_text_from_ingram_is_inert_no_autolinks_and_no_bidi_controls(
    world: SandboxWorld,
) -> None:
    world.state.add_order(
        SeedOrder(
            "20-INERT",
            SANDBOX_CUSTOMER,
            SANDBOX_COUNTRY,
            utc_now(),
            HOSTILE_PO,
            [SeedSuborder("20-INERT-11", "S", f"SALES {BIDI} HOLD", "SH", f"call @channel {BIDI}")],
        )
    )
    alice = world.user()
    answers = [await ask(alice, "20-INERT"), await ask(alice, f"po {HOSTILE_PO}")]
    answers.append(await (await press(alice, answers[0], "Share in channel")).reply())
    for answer in answers:
        assert answer.autolinks() == []  # Slack links nothing on its own
        objects = _mrkdwn_objects(answer.blocks)
        assert objects and all(o.get("verbatim") is True for o in objects)
        assert "see http://evil.example/pay #general" in answer.all_text  # shown, as written
        for char in "\u202e\u202c\u200b\u2066\u2069\ufeff":
            assert char not in answer.all_text
        assert "CBAX" in answer.all_text


async def test_a_user_id_that_is_not_one_is_not_interpolated_as_a_mention(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    answer = await ask(alice, "20-RD12H")
    odd = alice.as_user("U0X><!channel", "odd")
    shared = await (await press(odd, answer, "Share in channel")).reply()
    assert "<!channel>" not in shared.all_text and "<@U0X" not in shared.all_text
    assert "Shared by `U0X&gt;&lt;!channel`" in shared.all_text
    fine = await (await press(alice, answer, "Share in channel")).reply()
    assert "Shared by <@U0ALICE>" in fine.all_text


async def test_what_the_user_typed_is_escaped_too(world: SandboxWorld) -> None:
    answer = await ask(world.user(), "po <!channel>")
    assert "No order found with PO *&lt;!channel&gt;*" in answer.all_text
    assert "<!channel>" not in answer.all_text


def _big_order(number: str, count: int, holdreason: str = "HARD-9 CUST NOT FLOOR ORD") -> SeedOrder:
    return SeedOrder(
        number,
        SANDBOX_CUSTOMER,
        SANDBOX_COUNTRY,
        utc_now(),
        "BIG-PO",
        [SeedSuborder(f"{number}-{i}", "C", "CREDIT HOLD", "CH", holdreason) for i in range(count)],
    )


async def every_page(user, first: Message) -> list[Message]:
    """Press Next until the last page; each press replaces the page before."""
    pages = [first]
    while any(b.action_id == "page_next" for b in pages[-1].buttons()):
        turned = await (await press(user, pages[-1], "page_next")).reply()
        assert turned.replaces == pages[-1].id  # the ephemeral answer is replaced in place
        pages.append(turned)
    return pages


async def test_an_order_with_200_shipments_comes_in_pages_that_reach_every_shipment(
    world: SandboxWorld,
) -> None:
    world.state.add_order(_big_order("20-BIG01", 200, holdreason="VERY LONG REASON " * 40))
    alice = world.user()
    first = await ask(alice, "20-BIG01-150")
    pages = await every_page(alice, first)
    assert len(pages) > 2
    seen: list[str] = []
    for number, page in enumerate(pages, 1):
        # The stand-in refuses what Slack would refuse: an answer that arrives is a valid one.
        assert len(page.blocks) <= MAX_BLOCKS and validate_blocks(page.blocks) == []
        assert page.block_text <= MAX_BLOCK_TEXT
        text = page.all_text
        assert "200 shipments · 200 on hold" in text  # how many in all, on every page
        assert "You asked for shipment *20-BIG01-150*" in text
        assert f"Page {number} of {len(pages)}." in text and page.button("Share in channel")
        seen += re.findall(r"(?:• |:arrow_forward: )\*(20-BIG01-\d+)\*", text)
    assert seen == [f"20-BIG01-{i}" for i in range(200)]
    back = await (await press(alice, pages[-1], "page_previous")).reply()
    assert back.all_text.split("\n")[1:] == pages[-2].all_text.split("\n")[1:]


async def test_a_po_with_many_orders_pages_and_a_shared_page_pages_for_the_presser(
    world: SandboxWorld,
) -> None:
    for i in range(40):
        world.state.add_order(_big_order(f"20-BIG{i:02d}", 5, holdreason="LONG REASON " * 20))
    alice, bob = world.user(), world.user("U0BOB", "bob")
    first = await ask(alice, "po BIG-PO")
    pages = await every_page(alice, first)
    assert len(pages) > 1 and all("40 orders, 200 shipments in all" in p.all_text for p in pages)
    text = "\n".join(p.all_text for p in pages)
    assert len(set(re.findall(r"• \*(20-BIG\d\d-\d)\*", text))) == 200
    assert "_(continued)_" in text  # a page that starts inside an order names the order
    shared = await (await press(alice, pages[1], "Share in channel")).reply()
    assert shared.response_type == "in_channel" and "Page 2 of" in shared.all_text
    turned = await (await press(bob, shared, "page_next")).reply()
    assert turned.is_ephemeral and turned.user == "U0BOB" and turned.replaces is None
    assert "Page 3 of" in turned.all_text


# --- failures: always a readable answer --------------------------------------------------------


async def test_an_unknown_order_is_not_found(world: SandboxWorld) -> None:
    answer = await ask(world.user(), "20-NOPE1")
    assert_readable(answer)
    assert "No order found for *20-NOPE1*" in answer.all_text
    assert "/order po" in answer.all_text  # what to try instead
    assert answer.buttons() == []


async def test_rejected_credentials_name_the_variables_to_check(world: SandboxWorld) -> None:
    world.state.client_secret = "rotated-by-someone"
    answer = await ask(world.user(), "20-RD12H")
    assert_readable(answer)
    text = answer.all_text
    assert "rejected the app credentials" in text
    assert "INGRAM_CLIENT_ID" in text and "INGRAM_CLIENT_SECRET" in text
    assert "sandbox-secret" not in text


async def test_a_token_endpoint_that_echoes_the_credentials_leaks_nothing(
    world: SandboxWorld,
) -> None:
    """An upstream that repeats the client ID and secret in its error text: neither reaches
    a reply, a stored poll error or the audit trail (the log's redactor masks them all)."""
    world.state.client_secret = "rotated-by-someone"
    world.state.echo_credentials = True
    configured = world.settings.ingram
    alice = world.user()
    replies = [await ask(alice, "20-RD12H"), await ask(alice, "delete 20-11852")]
    for reply in replies:
        assert "rejected the app credentials" in reply.all_text and "********" in reply.all_text
        assert configured.client_secret not in reply.all_text
        assert configured.client_id not in reply.all_text
    audit = await world.bot.store.run(audit_log)
    assert audit and all(configured.client_secret not in row.message for row in audit)
    assert any("********" in row.message for row in audit)


async def test_an_app_not_yet_approved_says_so(world: SandboxWorld) -> None:
    world.state.api_product_approved = False
    answer = await ask(world.user(), "20-RD12H")
    assert_readable(answer)
    assert "not yet approved for the order APIs" in answer.all_text


async def test_forbidden_says_what_to_check(world: SandboxWorld) -> None:
    world.state.faults.add(Fault(status=403))
    answer = await ask(world.user(), "20-RD12H")
    assert_readable(answer)
    assert "403 Forbidden" in answer.all_text and "INGRAM_BASE_URL" in answer.all_text


async def test_ingram_down_after_the_retries_gives_the_code_and_try_again(
    world: SandboxWorld,
) -> None:
    world.state.faults.add(Fault(status=503, times=0))
    answer = await ask(world.user(), "20-RD12H")
    assert_readable(answer)
    text = answer.all_text
    assert "503 Service Unavailable" in text and "Try again" in text
    assert world.state.search_calls == FAST_RETRY.attempts


async def test_outside_the_availability_window_says_when_it_opens() -> None:
    saturday = ManualClock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))
    async with SandboxWorld(retry=FAST_RETRY, clock=saturday, ignore_windows=False) as world:
        answer = await ask(world.user(), "20-RD12H")
        assert_readable(answer)
        text = answer.all_text
        assert "outside their availability window" in text
        assert "opens again Mon 03 Jun 06:00" in text
        assert world.state.requests == []


async def test_an_unexpected_failure_is_an_answer_with_a_reference(
    world: SandboxWorld, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_ref: str) -> None:
        raise RuntimeError("internal detail")

    world.bot.services.orders.lookup = broken  # type: ignore[method-assign]
    answer = await ask(world.user(), "20-RD12H")
    assert_readable(answer)
    assert "Something went wrong inside orderbot" in answer.all_text
    assert "internal detail" not in answer.all_text
    reference = answer.all_text.split("(reference ")[1][:8]
    assert reference in caplog.text  # the admin finds the stack trace in the log


async def test_many_commands_at_once_are_all_acknowledged_and_answered(
    world: SandboxWorld,
) -> None:
    world.state.latency = 0.2
    alice = world.user()
    results = await asyncio.gather(*(alice.command("/order", "20-RD12H") for _ in range(30)))
    assert all(r.status == 200 and r.elapsed < 1.0 for r in results)
    answers = await asyncio.gather(*(r.reply() for r in results))
    assert all("Order 20-RD12H" in a.all_text for a in answers)
    assert world.state.token_requests == 1


async def test_holds_and_status_answer_from_the_database_without_calling_ingram(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    holds = await ask(alice, "holds CH")
    status = await ask(alice, "status")
    assert "No shipment is on hold with hold code `CH`" in holds.all_text
    assert "No poll has run yet." in holds.all_text
    assert "Polling* is off (ORDERBOT_POLL_INTERVAL=0)" in status.all_text
    assert world.state.requests == []
