"""Ingram's availability windows as the poller meets them: skip the poll while the
account's window is closed, and say so once per closed period, not every interval."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.ingram.client import IngramClient
from bot.ingram.errors import OutsideWindowError
from bot.ingram.windows import is_available, next_opening, window_for

log = logging.getLogger("orderbot.poller")


class AvailabilityWindow:
    """Whether the poller may call Ingram now, logging each change between open and closed
    once."""

    def __init__(self, client: IngramClient) -> None:
        self.client = client
        # Whether the log has said that the window is closed (said once per closed period).
        self._closed_logged = False

    def closed(self, now: datetime) -> str | None:
        """Why the poll must be skipped now (None when Ingram is available); logs the change
        between open and closed once each way."""
        client = self.client
        if not client.windows_enforced:
            return None
        try:
            available = is_available(client.country, now)
        except KeyError:  # a country the spec has no window for: let Ingram decide
            return None
        if available:
            if self._closed_logged:
                log.info(
                    "Ingram's availability window for %s is open again; polling resumes",
                    client.country,
                )
                self._closed_logged = False
            return None
        opens = next_opening(client.country, now)
        reason = (
            f"outside window: Ingram's APIs for {client.country} answer"
            f" {window_for(client.country).describe()}; opens {opens.isoformat()}"
        )
        if not self._closed_logged:
            log.info(
                "Ingram's availability window for %s is closed; polls are skipped until it"
                " opens at %s (set ORDERBOT_IGNORE_WINDOWS=1 if your account answers around"
                " the clock)",
                client.country,
                opens.isoformat(),
            )
            self._closed_logged = True
        return reason

    def closed_during_poll(self, exc: OutsideWindowError) -> None:
        """The window closed while a poll was reading: it is skipped, and said once."""
        self._closed_logged = True
        log.info("the availability window closed during the poll; it is skipped: %s", exc)
