"""Logging: one line per event, as text or JSON lines, with secrets scrubbed.

``setup_logging`` installs one handler on the root logger. Every record passes through
``RedactingFilter``, which replaces any configured secret value (Ingram client secret, Slack
tokens, signing secret) and anything shaped like a bearer token with ``********``, so a
secret cannot reach a log line even when a library logs a request it should not.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO

MASK = "********"
_TOKENISH = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}|\bx(?:ox[abpr]|app)-[A-Za-z0-9-]+")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Replaces secret values in a record's message and arguments."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _TOKENISH.sub(lambda m: (m.group(1) or "") + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = (
                    value if isinstance(value, (int, float, bool, type(None))) else str(value)
                )
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-11-23T14:00:00Z INFO orderbot.poller poll done ...`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{when} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_text:
            line += " | " + record.exc_text.replace("\n", " | ")
        return line


def setup_logging(
    fmt: str = "text",
    level: str = "INFO",
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> RedactingFilter:
    """Configure the root logger; returns the redactor so more secrets can be added."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that log whole requests at DEBUG are kept at WARNING unless asked otherwise.
    for name in ("httpx", "httpcore", "slack_sdk", "slack_bolt", "aiohttp.access"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return redactor
