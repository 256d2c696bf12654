"""Answers in pages: every page within Slack's budget, every line on exactly one page, the
same pages every time, and buttons that name the page to show."""

from __future__ import annotations

import pytest

from bot.slack.blocks import ACTION_PAGE_NEXT, ACTION_PAGE_PREVIOUS, context, header
from bot.slack.budget import MAX_BLOCK_TEXT, MAX_BLOCKS, block_text
from bot.slack.paging import CONTINUED, Listing, PageRef, page_bounds, paged
from tests.slack.helpers import all_texts


def lines(n: int, width: int = 100) -> list[str]:
    return [f"• line {i:04d} " + "x" * width for i in range(n)]


def buttons(blocks: list[dict]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
    }


@pytest.mark.parametrize(("count", "width"), [(1, 10), (60, 800), (200, 100), (1000, 2900)])
def test_every_line_is_on_exactly_one_page_and_every_page_fits(count: int, width: int) -> None:
    listing = Listing(lines(count, width))
    head = [header("Head"), context(f"{count} lines in all")]
    seen: list[str] = []
    ref = PageRef("lookup", "20-RD12H")
    first = paged(head, listing, [], ref)
    for number in range(1, first.pages + 1):
        page = paged(head, listing, [], ref.at(number))
        assert (page.page, page.pages) == (number, first.pages)
        assert block_text(page.blocks) <= MAX_BLOCK_TEXT and len(page.blocks) <= MAX_BLOCKS
        assert page.blocks[:2] == head  # every page says how many in all
        text = "\n".join(all_texts(page.blocks))
        seen += [line for line in text.split("\n") if line.startswith("• line ")]
    assert [s.split()[2] for s in seen] == [f"{i:04d}" for i in range(count)]


def test_one_page_has_no_buttons_and_several_pages_name_their_neighbours() -> None:
    single = paged([], Listing(lines(3)), [], PageRef("holds", ""))
    assert single.pages == 1 and buttons(single.blocks) == {}
    ref = PageRef("holds", "CH", 1)
    first = paged([], Listing(lines(400)), [], ref, hint="narrow it")
    assert first.pages > 2
    assert buttons(first.blocks) == {ACTION_PAGE_NEXT: ref.at(2).value()}
    middle = paged([], Listing(lines(400)), [], ref.at(2))
    assert buttons(middle.blocks) == {
        ACTION_PAGE_PREVIOUS: ref.at(1).value(),
        ACTION_PAGE_NEXT: ref.at(3).value(),
    }
    last = paged([], Listing(lines(400)), [], ref.at(99))  # past the end: the last page
    assert last.page == last.pages and set(buttons(last.blocks)) == {ACTION_PAGE_PREVIOUS}
    assert f"Page 1 of {first.pages}. narrow it" in all_texts(first.blocks)


def test_a_page_that_starts_inside_a_group_repeats_its_heading() -> None:
    body = ["*Order A*", *lines(150), "*Order B*", *lines(5)]
    listing = Listing(body, frozenset({0, 151}))
    bounds = page_bounds(listing, 5000)
    assert len(bounds) > 2 and all(end - start > 0 for start, end in bounds)
    second = paged([], listing, [], PageRef("po", "CUSTPO", 2))
    assert all_texts(second.blocks)[0].startswith("*Order A*" + CONTINUED)


@pytest.mark.parametrize(
    "value",
    ["", "20-RD12H", "po CUSTPO", "[1]", '{"k": "nope", "q": "", "p": 1}', '{"k": "po", "q": 1}'],
)
def test_a_value_that_is_not_a_page_ref_is_none(value: str) -> None:
    assert PageRef.parse(value) is None


def test_a_page_ref_round_trips() -> None:
    ref = PageRef("po", "PO <&> 1", 7)
    assert PageRef.parse(ref.value()) == ref
    assert PageRef.parse('{"k":"holds","q":"","p":-3}') == PageRef("holds", "", 1)
