"""Text from outside is inert in Slack: escaped, verbatim, no invisible controls, no secrets."""

from __future__ import annotations

import pytest

from bot.log import MASK, add_secrets
from bot.slack.mrkdwn import api_text, escape, inert, mention, text_object


def test_bidi_controls_and_zero_width_characters_are_taken_out() -> None:
    hidden = "PO \u202eCBA\u202c \u2066X\u2069 \u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061cY"
    assert inert(hidden) == "PO CBA X Y"
    assert escape("\u202e<!here>") == "&lt;!here&gt;"


def test_api_text_is_capped_escaped_and_inert() -> None:
    assert api_text("a & b " * 200, 20) == "a &amp; b a &amp; b a &amp; b a…"
    assert len(inert(api_text("x" * 1000))) == 300


def test_known_secrets_never_reach_slack_text() -> None:
    add_secrets(["mrkdwn-secret-123"])
    assert escape("said mrkdwn-secret-123") == f"said {MASK}"


@pytest.mark.parametrize(
    ("user_id", "shown"),
    [
        ("U0ALICE", "<@U0ALICE>"),
        ("W012A3CDE", "<@W012A3CDE>"),
        ("U0X><!channel", "`U0X&gt;&lt;!channel`"),
        ("u0alice", "`u0alice`"),
        ("U`1", "`U'1`"),
        ("", "someone"),
    ],
)
def test_only_a_well_formed_user_id_becomes_a_mention(user_id: str, shown: str) -> None:
    assert mention(user_id) == shown


def test_every_text_object_is_verbatim() -> None:
    assert text_object("#general") == {"type": "mrkdwn", "text": "#general", "verbatim": True}
