"""Logging: one line per event, as text or JSON lines, with secrets scrubbed.

``setup_logging`` installs one handler on the root logger. Every record passes through
``RedactingFilter``, which replaces any configured secret value (Ingram client ID and secret,
Slack tokens, signing secret, Ingram access tokens as they are issued) and anything shaped
like a bearer token or a ``client_secret=`` with ``********``, so a secret cannot reach a log
line even when a library logs a request it should not.

The same ``Redactor`` (``REDACTOR``, through ``redact``) scrubs what is not a log line: every
text orderbot shows in Slack (``bot.slack.mrkdwn``) and what it stores (a failed poll's
error, the audit trail), since an upstream may echo a credential in its error text. Secrets
are registered once, with ``add_secrets``, for all of them.
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
_TOKENISH = re.compile(
    r"(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}"
    r"|\bx(?:ox[abpr]|app)-[A-Za-z0-9-]+"
    r"|(client_secret[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;}]+"
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class Redactor:
    """Replaces every registered secret, and anything shaped like one, with ``MASK``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    @property
    def secrets(self) -> list[str]:
        """The registered values, longest first (so that a secret inside another goes too)."""
        return list(self._secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Register more values to mask (shorter than 4 characters: ignored)."""
        known = set(self._secrets) | {s for s in secrets if s and len(s) >= 4}
        self._secrets = sorted(known, key=len, reverse=True)

    def scrub(self, text: str, limit: int | None = None) -> str:
        """``text`` with every secret masked, then cut to ``limit`` characters (an ellipsis
        marks the cut), so that an upstream's words stay a sane length."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _TOKENISH.sub(lambda m: (m.group(1) or m.group(2) or "") + MASK, text)
        if limit is not None and len(text) > limit:
            text = text[: max(0, limit - 1)].rstrip() + "…"
        return text


#: The process's redactor: the log's filter, Slack's texts and the stored errors share it.
REDACTOR = Redactor()


def add_secrets(secrets: Iterable[str]) -> None:
    """Register secret values with the process's redactor (``REDACTOR``)."""
    REDACTOR.add(secrets)


def redact(text: str, limit: int | None = None) -> str:
    """``text`` scrubbed by the process's redactor, and cut to ``limit`` characters."""
    return REDACTOR.scrub(text, limit)


class RedactingFilter(logging.Filter):
    """Replaces secret values in a record's message and arguments (with ``redactor``, by
    default the process's, after registering ``secrets`` with it)."""

    def __init__(self, secrets: Iterable[str] = (), redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = REDACTOR if redactor is None else redactor
        self.redactor.add(secrets)

    @property
    def secrets(self) -> list[str]:
        return self.redactor.secrets

    def scrub(self, text: str) -> str:
        return self.redactor.scrub(text)

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
