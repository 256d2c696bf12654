"""The delete prompt (in pages for a big order) and the messages that replace it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.ingram.codes import DELETE_ABEND, DELETE_NOT_FOUND
from bot.ingram.models import DeleteOutcome
from bot.slack.blocks import (
    ACTION_DELETE_CANCEL,
    ACTION_DELETE_CONFIRM,
    ACTION_PAGE_NEXT,
)
from bot.slack.paging import PageRef
from bot.slack.prompts import cancelled_message, delete_outcome_message, delete_prompt_message
from tests.slack.helpers import all_texts, assert_valid, make_order, raw_markup

EXPIRES = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
NASTY = "<!channel> <https://evil.example|click> & <@U0BOSS>"


def test_the_delete_prompt_has_a_danger_button_with_a_confirm_dialog_and_cancel() -> None:
    message = delete_prompt_message(make_order("20-11852", 2), "confirmation-1", EXPIRES)
    assert_valid(message)
    actions = message.blocks[-1]
    delete, cancel = actions["elements"]
    assert delete["action_id"] == ACTION_DELETE_CONFIRM and delete["style"] == "danger"
    assert delete["value"] == cancel["value"] == "confirmation-1"
    assert delete["confirm"]["style"] == "danger"
    assert "2 shipments" in delete["confirm"]["text"]["text"]
    assert cancel["action_id"] == ACTION_DELETE_CANCEL and "style" not in cancel
    assert "until 09:30 UTC (10 minutes)" in "\n".join(all_texts(message.blocks))


def test_a_prompt_for_200_shipments_comes_in_pages_each_with_its_buttons() -> None:
    order = make_order("20-11852", 200, hold="Y" * 800)
    first = delete_prompt_message(order, "c", EXPIRES)
    pages = [first]
    while ACTION_PAGE_NEXT in {
        e["action_id"] for b in pages[-1].blocks if b["type"] == "actions" for e in b["elements"]
    }:
        pages.append(delete_prompt_message(order, "c", EXPIRES, page=len(pages) + 1))
    assert len(pages) > 1
    seen: list[str] = []
    for page in pages:
        assert_valid(page)
        text = "\n".join(all_texts(page.blocks))
        assert "200 shipments" in text and "Delete order *20-11852*?" in text
        assert {e["action_id"] for e in page.blocks[-1]["elements"]} == {
            ACTION_DELETE_CONFIRM,
            ACTION_DELETE_CANCEL,
        }
        seen += re.findall(r"• \*(20-11852-\d+)\*", text)
    assert seen == [s.subordernumber for s in order.suborders]
    value = next(
        e["value"]
        for b in first.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACTION_PAGE_NEXT
    )
    assert PageRef.parse(value) == PageRef("delete", "c", 2)


@pytest.mark.parametrize(
    ("outcome", "said", "expected"),
    [
        (DeleteOutcome.DELETED, "Order Deleted Successfully", "was deleted by <@U0ALICE>"),
        (DeleteOutcome.ALREADY_DELETED, "", "was already deleted; nothing more to do"),
        (DeleteOutcome.NOT_FOUND, DELETE_NOT_FOUND.responsemessage, "does not find order"),
        (DeleteOutcome.FAILED, DELETE_ABEND.responsemessage, "could not delete order"),
    ],
)
def test_delete_outcomes_say_what_happened(
    outcome: DeleteOutcome, said: str, expected: str
) -> None:
    remedy = DELETE_ABEND.remedy if outcome is DeleteOutcome.FAILED else "None"
    message = delete_outcome_message("20-11852", outcome, said, remedy, "U0ALICE")
    assert_valid(message)
    text = "\n".join(all_texts(message.blocks))
    assert expected in text
    assert ("*What to do:*" in text) == (outcome is DeleteOutcome.FAILED)


def test_a_failure_message_from_the_api_is_escaped() -> None:
    message = delete_outcome_message("20-11852", DeleteOutcome.FAILED, NASTY, NASTY, "U0ALICE")
    assert_valid(message)
    assert [t for t in raw_markup(message) if "<!" in t or "<http" in t] == []


def test_cancelled() -> None:
    assert "was not deleted" in cancelled_message("20-11852").text
