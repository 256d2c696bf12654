"""Logging: one line per event, JSON lines on request, and no secret ever reaches a line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.log import MASK, Redactor, add_secrets, redact, setup_logging


@pytest.fixture
def stream():
    buffer = io.StringIO()
    yield buffer
    logging.getLogger().handlers.clear()


def test_configured_secrets_are_masked_in_messages_and_arguments(stream: io.StringIO) -> None:
    setup_logging("text", "INFO", ["sandbox-secret", "shh-signing"], stream=stream)
    log = logging.getLogger("orderbot.test")
    log.info("posting form client_secret=%s", "sandbox-secret")
    log.warning("signing secret is shh-signing")
    text = stream.getvalue()
    assert "sandbox-secret" not in text and "shh-signing" not in text
    assert text.count(MASK) == 2
    assert len(text.strip().splitlines()) == 2  # one line per event


def test_token_shaped_strings_are_masked_even_if_nobody_registered_them(
    stream: io.StringIO,
) -> None:
    setup_logging("text", "INFO", [], stream=stream)
    logging.getLogger("x").info(
        "Authorization: Bearer abcdef123456 and xoxb-1234-5678-abcdef and xapp-1-A0-99-ff"
    )
    text = stream.getvalue()
    assert "abcdef123456" not in text and "xoxb-1234" not in text and "xapp-1" not in text
    assert "Bearer ********" in text


def test_tracebacks_are_scrubbed_and_kept_on_one_line(stream: io.StringIO) -> None:
    setup_logging("text", "INFO", ["topsecret"], stream=stream)
    try:
        raise ValueError("bad value topsecret")
    except ValueError:
        logging.getLogger("x").exception("failed")
    text = stream.getvalue()
    assert "topsecret" not in text
    assert len(text.strip().splitlines()) == 1
    assert "ValueError" in text


def test_json_lines(stream: io.StringIO) -> None:
    setup_logging("json", "DEBUG", ["topsecret"], stream=stream)
    logging.getLogger("orderbot.poller").info(
        "poll done in %d s (%s)", 3, "topsecret", extra={"calls": 4}
    )
    (line,) = stream.getvalue().splitlines()
    data = json.loads(line)
    assert data["level"] == "INFO"
    assert data["logger"] == "orderbot.poller"
    assert data["message"] == f"poll done in 3 s ({MASK})"
    assert data["calls"] == 4
    assert data["time"].endswith("+00:00")


def test_chatty_libraries_stay_quiet(stream: io.StringIO) -> None:
    setup_logging("text", "DEBUG", [], stream=stream)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("slack_sdk").getEffectiveLevel() >= logging.WARNING


def test_the_redactor_the_log_uses_also_serves_what_is_shown_and_stored(
    stream: io.StringIO,
) -> None:
    setup_logging("text", "INFO", ["shared-secret-42"], stream=stream)
    logging.getLogger("x").info("shared-secret-42")
    assert "shared-secret-42" not in stream.getvalue()
    # One mechanism: what the log masks, redact() masks too, for Slack replies and the store.
    assert redact("echo: shared-secret-42") == f"echo: {MASK}"
    add_secrets(["added-later-99"])
    logging.getLogger("x").info("added-later-99")
    assert "added-later-99" not in stream.getvalue()


def test_redact_masks_client_secret_shapes_and_caps_the_length() -> None:
    text = 'error: client_secret=abc123&x=1 {"client_secret": "zzz9"} Bearer abcdefgh12'
    scrubbed = redact(text)
    assert "abc123" not in scrubbed and "zzz9" not in scrubbed and "abcdefgh12" not in scrubbed
    assert "&x=1" in scrubbed
    assert redact("y" * 1000, 50) == "y" * 49 + "…"
    assert Redactor(["abc"]).secrets == []  # too short to mask safely
