"""``/order delete``: who may, what can go, the confirmation (single-use, bound to its
requester, ten minutes, surviving a restart), exactly one DELETE with the lookup's entry date,
the API's failures with the spec's remedial action, and the audit trail."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from bot.clock import ManualClock
from bot.config import load_settings
from bot.ingram.codes import DELETE_ABEND, DELETE_TECHNICAL_ERROR
from bot.sandbox.ingram import (
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    Fault,
    RecordedRequest,
    SeedOrder,
    SeedSuborder,
)
from bot.sandbox.slack import MAX_BLOCKS, Message, SlackUser, validate_blocks
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.slack.budget import MAX_BLOCK_TEXT
from bot.store import audit_log
from tests.slack.helpers import ask, assert_readable, press


def deletes(world: SandboxWorld) -> list[RecordedRequest]:
    return [r for r in world.state.requests if r.method == "DELETE"]


async def prompt_for(user: SlackUser, number: str = "20-11852") -> Message:
    prompt = await ask(user, f"delete {number}")
    assert prompt.button("Delete order"), prompt.all_text
    return prompt


async def audit(world: SandboxWorld) -> list[tuple[str, str, str, str]]:
    """The audit trail, oldest first: (user, action, order, outcome)."""
    rows = await world.bot.store.run(audit_log, 100)
    return [(r.user_id, r.action, r.ordernumber, r.outcome) for r in reversed(rows)]


# --- before the prompt -------------------------------------------------------------------------


async def test_someone_not_allowed_is_refused_politely_without_any_api_call(
    world: SandboxWorld,
) -> None:
    bob = world.user("U0BOB", "bob")
    answer = await ask(bob, "delete 20-11852")
    assert_readable(answer)
    text = answer.all_text
    assert "You are not allowed to delete orders" in text
    assert "ORDERBOT_DELETE_ALLOWED" in text and "U0BOB" in text
    assert answer.buttons() == [] and answer.is_ephemeral
    assert world.state.requests == []
    assert await audit(world) == [("U0BOB", "delete_request", "20-11852", "refused_not_allowed")]


async def test_an_unknown_order_is_not_found_and_no_delete_is_sent(world: SandboxWorld) -> None:
    answer = await ask(world.user(), "delete 20-NOPE1")
    assert "Order 20-NOPE1 was not found." in answer.all_text
    assert answer.buttons() == [] and deletes(world) == []


async def test_orders_that_cannot_go_say_why_and_offer_no_button(world: SandboxWorld) -> None:
    alice = world.user()
    deleted = await ask(alice, "delete 20-DEL01")
    released = await ask(alice, "delete 20-REL01")
    invoiced = await ask(alice, "delete 20-INV01")

    assert "Order 20-DEL01 is already deleted." in deleted.all_text
    assert "20-REL01-11 is released to the warehouse management system" in released.all_text
    assert "20-INV01-11 is invoiced" in invoiced.all_text
    assert "20-INV01-21 is billed" in invoiced.all_text
    for answer in (deleted, released, invoiced):
        assert answer.buttons() == []
    assert "Only orders that have not been released" in released.all_text
    assert deletes(world) == []
    outcomes = [row[3] for row in await audit(world)]
    assert outcomes == ["already_deleted", "not_deletable", "not_deletable"]


async def test_a_deletable_order_gets_a_prompt_with_danger_confirm_and_cancel(
    world: SandboxWorld,
) -> None:
    prompt = await prompt_for(world.user())
    assert prompt.is_ephemeral
    text = prompt.all_text
    assert "Delete order *20-11852*? This cannot be undone." in text
    assert "• *20-11852-11*" in text and "`IM` PLACED ON CUSTOMER HOLD" in text

    delete = prompt.button("Delete order")
    assert delete.style == "danger" and delete.confirm is not None
    assert delete.confirm["title"]["text"] == "Delete order 20-11852?"
    assert "cannot be undone" in delete.confirm["text"]["text"]
    assert delete.confirm["confirm"]["text"] == "Delete"
    assert delete.confirm["deny"]["text"] == "Keep it"
    cancel = prompt.button("Cancel")
    assert cancel.style is None and cancel.value == delete.value
    assert deletes(world) == []


# --- the press ---------------------------------------------------------------------------------


async def test_the_press_sends_one_delete_with_the_lookups_entry_date(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    outcome = await (await press(alice, prompt, "Delete order")).reply()

    assert outcome.replaces == prompt.id  # the prompt is replaced with the outcome
    assert "Order *20-11852* was deleted by <@U0ALICE>" in outcome.all_text
    assert outcome.buttons() == []
    (sent,) = deletes(world)
    entered = world.state.order("20-11852").entrytimestamp
    assert sent.path.endswith("/orders/20-11852")
    assert sent.query == {
        "customerNumber": SANDBOX_CUSTOMER,
        "isoCountryCode": SANDBOX_COUNTRY,
        "entryDate": entered.date().isoformat(),
    }
    assert all(s.statuscode == "V" for s in world.state.order("20-11852").suborders)


async def test_a_prompt_dismissed_in_the_confirm_dialog_sends_nothing(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    assert await alice.press(prompt, "Delete order", confirm=False) is None
    assert deletes(world) == []


async def test_another_user_pressing_is_refused_and_nothing_is_deleted(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    bob = alice.as_user("U0BOB", "bob")
    prompt = await prompt_for(alice)

    refusal = await (await press(bob, prompt, "Delete order")).reply()
    assert refusal.is_ephemeral and refusal.user == "U0BOB"
    assert refusal.replaces is None  # alice's prompt stays for alice
    assert "Only the person who asked to delete order 20-11852 can confirm it" in refusal.all_text
    assert deletes(world) == []

    outcome = await (await press(alice, prompt, "Delete order")).reply()
    assert "was deleted" in outcome.all_text and len(deletes(world)) == 1


async def test_a_double_press_sends_one_delete(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    first = await (await press(alice, prompt, "Delete order")).reply()
    second = await (await press(alice, prompt, "Delete order")).reply()
    assert "was deleted" in first.all_text
    assert "has already been used; nothing more was sent to Ingram" in second.all_text
    assert second.is_ephemeral and second.replaces is None
    assert len(deletes(world)) == 1


async def test_concurrent_presses_send_one_delete(world: SandboxWorld) -> None:
    world.state.latency = 0.1  # the DELETE is in flight while the other presses arrive
    alice = world.user()
    prompt = await prompt_for(alice)
    pressed = await asyncio.gather(*(press(alice, prompt, "Delete order") for _ in range(5)))
    replies = await asyncio.gather(*(p.reply() for p in pressed))
    assert len(deletes(world)) == 1
    done = [r for r in replies if "was deleted" in r.all_text]
    used = [r for r in replies if "already been used" in r.all_text]
    assert (len(done), len(used)) == (1, 4)


async def test_a_restart_between_prompt_and_press_neither_loses_nor_replays_it(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    await world.restart_bot()
    outcome = await (await press(alice, prompt, "Delete order")).reply()
    assert "was deleted" in outcome.all_text

    await world.restart_bot()
    again = await (await press(alice, prompt, "Delete order")).reply()
    assert "already been used" in again.all_text
    assert len(deletes(world)) == 1


async def test_a_confirmation_expires_after_ten_minutes() -> None:
    clock = ManualClock()
    async with SandboxWorld(retry=FAST_RETRY, clock=clock) as world:
        alice = world.user()
        prompt = await prompt_for(alice)
        assert "(10 minutes)" in prompt.all_text
        clock.advance(timedelta(minutes=11).total_seconds())
        refusal = await (await press(alice, prompt, "Delete order")).reply()
        assert "expired (they last 10 minutes). Run `/order delete 20-11852` again" in (
            refusal.all_text
        )
        assert refusal.replaces == prompt.id  # a dead prompt goes away
        assert deletes(world) == []
        assert (await audit(world))[-1][3] == "refused_expired"


async def test_cancel_uses_the_confirmation_up_without_deleting(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    cancelled = await (await press(alice, prompt, "Cancel")).reply()
    assert cancelled.replaces == prompt.id
    assert "Cancelled. Order *20-11852* was not deleted." in cancelled.all_text

    late = await (await press(alice, prompt, "Delete order")).reply()
    assert "already been used" in late.all_text
    assert deletes(world) == []
    assert world.state.order("20-11852").suborders[0].statuscode == "O"
    assert (await audit(world))[-2:] == [
        ("U0ALICE", "delete_cancel", "20-11852", "cancelled"),
        ("U0ALICE", "delete_confirm", "20-11852", "refused_already_used"),
    ]


# --- authorised at the press ------------------------------------------------------------------


async def test_someone_taken_off_the_allow_list_can_no_longer_press(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    # orderbot restarted with a new ORDERBOT_DELETE_ALLOWED, alice no longer in it
    world.settings = load_settings({**world.environment(), "ORDERBOT_DELETE_ALLOWED": "U0BOB"})
    await world.restart_bot()
    refused = await (await press(alice, prompt, "Delete order")).reply()
    assert "You are no longer allowed to delete orders" in refused.all_text
    assert refused.replaces == prompt.id and refused.buttons() == []
    assert deletes(world) == []
    assert (await audit(world))[-1] == (
        "U0ALICE",
        "delete_confirm",
        "20-11852",
        "refused_not_allowed",
    )


async def test_three_prompts_for_one_order_send_one_delete(world: SandboxWorld) -> None:
    alice = world.user()
    first, second, third = [await prompt_for(alice) for _ in range(3)]
    older = await (await press(alice, first, "Delete order")).reply()
    assert "A newer delete prompt for order *20-11852* was made by <@U0ALICE>" in older.all_text
    assert older.replaces == first.id and older.buttons() == []
    done = await (await press(alice, third, "Delete order")).reply()
    assert "was deleted by <@U0ALICE>" in done.all_text
    searches = world.state.search_calls
    late = await (await press(alice, second, "Delete order")).reply()
    assert "Order *20-11852* was already deleted by <@U0ALICE>" in late.all_text
    assert "through orderbot; nothing was sent to Ingram" in late.all_text
    assert world.state.search_calls == searches  # answered without calling Ingram
    assert len(deletes(world)) == 1
    cancelled = await (await press(alice, first, "Cancel")).reply()
    assert "newer delete prompt" in cancelled.all_text


async def test_a_confirm_after_someone_else_deleted_it_says_who_without_calling_ingram() -> None:
    async with SandboxWorld(retry=FAST_RETRY, delete_allowed=("U0ALICE", "U0BOB")) as world:
        alice, bob = world.user(), world.user("U0BOB", "bob")
        hers = await prompt_for(alice)
        his = await prompt_for(bob)  # the newer prompt: alice's is superseded
        assert (
            "was deleted by <@U0BOB>"
            in (await (await press(bob, his, "Delete order")).reply()).all_text
        )
        calls = len(world.state.requests)
        answer = await (await press(alice, hers, "Delete order")).reply()
        assert "was already deleted by <@U0BOB>" in answer.all_text
        assert len(world.state.requests) == calls and len(deletes(world)) == 1


async def test_an_order_released_since_the_prompt_is_refused_with_its_state(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    world.state.set_suborder("20-11852-21", statuscode="R", holdreasoncode="")
    refused = await (await press(alice, prompt, "Delete order")).reply()
    text = refused.all_text
    assert "cannot be deleted: 20-11852-21 is released to the warehouse management system" in text
    assert "Nothing was sent to Ingram's delete." in text
    assert "*Order 20-11852* · PO" in text  # its state as read now
    assert refused.replaces == prompt.id and deletes(world) == []
    assert (await audit(world))[-1][3] == "refused_not_deletable"


async def test_an_order_deleted_outside_orderbot_since_the_prompt_sends_no_delete(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    for sub in world.state.order("20-11852").suborders:
        world.state.set_suborder(sub.subordernumber, statuscode="V", holdreasoncode="VO")
    refused = await (await press(alice, prompt, "Delete order")).reply()
    assert "Order 20-11852 is already deleted." in refused.all_text
    assert deletes(world) == []


async def test_a_failed_fresh_read_sends_nothing_and_keeps_the_prompt(world: SandboxWorld) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    world.state.faults.add(Fault(status=503, times=0, method="GET"))
    refused = await (await press(alice, prompt, "Delete order")).reply()
    assert "could not read order 20-11852 again" in refused.all_text
    assert refused.replaces is None and deletes(world) == []
    world.state.faults.clear()
    done = await (await press(alice, prompt, "Delete order")).reply()
    assert "was deleted by <@U0ALICE>" in done.all_text


# --- what Ingram answers -----------------------------------------------------------------------


async def test_a_technical_error_shows_the_apis_message_and_the_specs_remedy(
    world: SandboxWorld,
) -> None:
    world.state.faults.add(Fault(method="DELETE", preamble=DELETE_TECHNICAL_ERROR))
    alice = world.user()
    prompt = await prompt_for(alice)
    outcome = await (await press(alice, prompt, "Delete order")).reply()
    assert_readable(outcome)
    text = outcome.all_text
    assert "Ingram Micro could not delete order *20-11852*" in text
    assert "Technical error occurred ,please contact support team" in text
    assert f"*What to do:* {DELETE_TECHNICAL_ERROR.remedy}" in text
    assert outcome.replaces == prompt.id and len(deletes(world)) == 1


async def test_an_abend_shows_the_apis_message_and_the_specs_remedy(world: SandboxWorld) -> None:
    world.state.faults.add(Fault(method="DELETE", preamble=DELETE_ABEND))
    alice = world.user()
    prompt = await prompt_for(alice)
    outcome = await (await press(alice, prompt, "Delete order")).reply()
    text = outcome.all_text
    assert "PROGRAM ABENDED:ORP550 4000000" in text  # the API's message, transaction number
    assert f"*What to do:* {DELETE_ABEND.remedy}" in text
    messages = [r for r in await world.bot.store.run(audit_log, 10) if r.outcome == "failed"]
    assert "PROGRAM ABENDED" in messages[0].message  # the audit keeps the API's message


async def test_a_delete_whose_answer_was_lost_is_looked_up_not_resent() -> None:
    async with SandboxWorld(retry=FAST_RETRY, ingram_timeout=0.3) as world:
        # Ingram deletes the order, but its answer comes too late: the client gives up.
        world.state.faults.add(Fault(method="DELETE", apply_first=True, delay=0.6))
        alice = world.user()
        prompt = await prompt_for(alice)
        outcome = await (await press(alice, prompt, "Delete order")).reply(timeout=5)
        assert "Order *20-11852* was deleted" in outcome.all_text
        assert "confirmed by a lookup" in outcome.all_text
        assert world.state.delete_calls == 1  # not sent again (counted on arrival)
        searches = [r for r in world.state.requests if r.path.endswith("/orders/search")]
        # The prompt's lookup, the press's fresh read, and the one after the timeout.
        assert len(searches) == 3


async def test_ingram_down_during_the_delete_says_to_look_before_trying_again(
    world: SandboxWorld,
) -> None:
    alice = world.user()
    prompt = await prompt_for(alice)
    world.state.faults.add(Fault(method="DELETE", status=503, times=0))
    outcome = await (await press(alice, prompt, "Delete order")).reply()
    assert_readable(outcome)
    text = outcome.all_text
    assert "503 Service Unavailable" in text
    assert "Look the order up with `/order 20-11852`" in text
    assert outcome.replaces == prompt.id
    assert (await audit(world))[-1][3] == "error"


async def test_ingram_down_during_the_lookup_is_a_readable_answer(world: SandboxWorld) -> None:
    world.state.faults.add(Fault(status=503, times=0))
    answer = await ask(world.user(), "delete 20-11852")
    assert_readable(answer)
    assert "503 Service Unavailable" in answer.all_text and answer.buttons() == []
    assert deletes(world) == []
    assert (await audit(world))[-1][1:] == ("delete_request", "20-11852", "error")


async def test_a_prompt_for_200_shipments_pages_and_deletes_from_any_page(
    world: SandboxWorld,
) -> None:
    subs = [
        SeedSuborder(f"20-BIG01-{i}", "O", "ECOMMERCE HOLD", "IM", "X" * 300) for i in range(200)
    ]
    world.state.add_order(
        SeedOrder("20-BIG01", SANDBOX_CUSTOMER, SANDBOX_COUNTRY, world.clock(), "BIG-PO", subs)
    )
    alice = world.user()
    prompt = await prompt_for(alice, "20-BIG01")
    pages = [prompt]
    while any(b.action_id == "page_next" for b in pages[-1].buttons()):
        pages.append(await (await press(alice, pages[-1], "page_next")).reply())
    assert len(pages) > 2
    seen: set[str] = set()
    for page in pages:
        assert len(page.blocks) <= MAX_BLOCKS and validate_blocks(page.blocks) == []
        assert page.block_text <= MAX_BLOCK_TEXT
        assert "200 shipments" in page.button("Delete order").confirm["text"]["text"]
        assert page.button("Cancel") and page.replaces in (None, *(p.id for p in pages))
        seen |= set(re.findall(r"• \*(20-BIG01-\d+)\*", page.all_text))
    assert len(seen) == 200 and deletes(world) == []
    outcome = await (await press(alice, pages[1], "Delete order")).reply()
    assert "was deleted by <@U0ALICE>" in outcome.all_text and len(deletes(world)) == 1
    # Its pages are the prompt's: once it is used, they say so instead of showing it again.
    again = await (await press(alice, pages[0], "page_next")).reply()
    assert "already been used" in again.all_text and again.buttons() == []


# --- the audit trail ---------------------------------------------------------------------------


async def test_every_attempt_allowed_or_refused_is_audited(world: SandboxWorld) -> None:
    alice = world.user()
    bob = alice.as_user("U0BOB", "bob")
    await ask(bob, "delete 20-11852")
    prompt = await prompt_for(alice)
    await (await press(bob, prompt, "Delete order")).reply()
    await (await press(alice, prompt, "Delete order")).reply()
    await (await press(alice, prompt, "Delete order")).reply()

    assert await audit(world) == [
        ("U0BOB", "delete_request", "20-11852", "refused_not_allowed"),
        ("U0ALICE", "delete_request", "20-11852", "prompted"),
        ("U0BOB", "delete_confirm", "20-11852", "refused_wrong_user"),
        ("U0ALICE", "delete_confirm", "20-11852", "deleted"),
        ("U0ALICE", "delete_confirm", "20-11852", "refused_already_used"),
    ]
    rows = await world.bot.store.run(audit_log, 10)
    deleted = next(r for r in rows if r.outcome == "deleted")
    assert deleted.message == "Order Deleted Successfully for OrderNumber 20-11852"
    assert deleted.user_name == "alice" and deleted.at is not None
