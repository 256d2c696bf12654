"""What the Slack stand-in counts and links in a message's text objects, as Slack does."""

from __future__ import annotations

from bot.sandbox.slack.texts import autolinks, block_text_length


def test_block_text_is_the_sum_of_every_text_string_inside_the_blocks() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "12345"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "abc"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "de"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "f"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Go"},
                    "action_id": "go",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Sure?"},
                        "text": {"type": "mrkdwn", "text": "Yes"},
                    },
                }
            ],
        },
        {"type": "divider"},
    ]
    assert block_text_length(blocks) == 5 + 3 + 2 + 1 + 2 + 5 + 3


def test_slack_links_bare_text_only_where_verbatim_is_not_true() -> None:
    bare = "see http://evil.example/x and www.evil.example, #general, @here, evil.com"
    loose = [{"type": "section", "text": {"type": "mrkdwn", "text": bare}}]
    assert autolinks(loose) == [
        "http://evil.example/x",
        "www.evil.example",
        "#general",
        "@here",
        "evil.com",
    ]
    verbatim = [{"type": "section", "text": {"type": "mrkdwn", "text": bare, "verbatim": True}}]
    assert autolinks(verbatim) == []
    plain = [{"type": "header", "text": {"type": "plain_text", "text": bare}}]
    assert autolinks(plain) == []
    markup = [{"type": "section", "text": {"type": "mrkdwn", "text": "by <@U0ALICE> &amp; co"}}]
    assert autolinks(markup) == []
