"""Slack mrkdwn rendered for a terminal: each kind of formatting, as Slack reads it."""

from __future__ import annotations

import pytest

from bot.demo.mrkdwn import render


def styles(text: str) -> list[tuple[str, str]]:
    rendered = render(text)
    return [(rendered.plain[s.start : s.end], str(s.style)) for s in rendered.spans]


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("*Order 20-RD12H* · PO *CUSTPO*", "Order 20-RD12H · PO CUSTPO"),
        ("`C` CREDIT HOLD", "C CREDIT HOLD"),
        ("*`/order 20-RD12H`* · an order", "/order 20-RD12H · an order"),
        ("_italic_ and ~struck~", "italic and struck"),
        ("press delete_confirm or delete_cancel", "press delete_confirm or delete_cancel"),
        ("2*3*4 and a * star", "2*3*4 and a * star"),
        ("&lt;b&gt; &amp; co", "<b> & co"),
        ("`&lt;code&gt;`", "<code>"),
        ("<https://example.com|the site>", "the site (https://example.com)"),
        ("<https://example.com>", "https://example.com"),
        ("<@U0ALICE> in <#C0GENERAL|general> <!here>", "@U0ALICE in #general @here"),
        (":no_entry: hold", "⛔ hold"),
        (":not_an_emoji_at_all: 10:30:45", ":not_an_emoji_at_all: 10:30:45"),
        ("&gt; Rule *credit-holds*", "│ Rule credit-holds"),
        ("```a *b* c```", "a *b* c"),
    ],
)
def test_markers_go_and_the_text_stays(mrkdwn: str, plain: str) -> None:
    assert render(mrkdwn).plain == plain


def test_each_kind_gets_its_style() -> None:
    assert styles("*b* `c` _i_ ~s~") == [
        ("b", "bold"),
        ("c", "cyan"),
        ("i", "italic"),
        ("s", "strike"),
    ]
    assert ("`x`" not in render("*a `x` b*").plain) and ("x", "bold cyan") in styles("*a `x` b*")
    link = styles("<https://example.com|site>")
    assert link[0] == ("site", "underline blue link https://example.com")
    assert styles("<@U0ALICE>") == [("@U0ALICE", "bold magenta")]


def test_emoji_can_stay_written_for_an_output_without_them() -> None:
    assert render(":no_entry: hold", emoji=False).plain == ":no_entry: hold"
