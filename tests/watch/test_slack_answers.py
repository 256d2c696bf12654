"""What a failed post is called in the metrics: a short name from a bounded set."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackClientError

from bot.watch.slack_answers import error_label
from tests.slack.test_connect import slack_error


@pytest.mark.parametrize(
    ("exc", "label"),
    [
        (slack_error(200, {"ok": False, "error": "channel_not_found"}), "channel_not_found"),
        (slack_error(429, {"ok": False, "error": "ratelimited"}), "ratelimited"),
        (slack_error(500, {"ok": False}), "http_500"),
        (slack_error(200, {"ok": False, "error": "<b>Not a code</b>" * 10}), "other"),
        (slack_error(502, None), "not_slack_json"),
        (slack_error(200, {"html": "<p>proxy</p>"}), "not_slack_json"),
        (TimeoutError(), "timeout"),
        (aiohttp.ServerDisconnectedError(), "connection_error"),
        (ConnectionResetError(), "connection_error"),
        (SlackClientError("bad request"), "client_error"),
    ],
)
def test_error_labels_are_slacks_codes_or_a_few_names(exc: BaseException, label: str) -> None:
    assert error_label(exc) == label
