"""Typed errors of the Ingram Micro client.

Every message is written for the person who has to act on it: it says what went wrong and
what to do, and never carries a credential, a token or a stack trace.
"""

from __future__ import annotations

from datetime import datetime

from bot.ingram.codes import HTTP_CODES


class IngramError(Exception):
    """Base of every error the client raises.

    ``status`` is the HTTP status code when there was one; ``remedy`` is the spec's remedial
    action for it (or our own advice where the spec has none).
    """

    #: True when a DELETE that failed this way may still have been carried out by Ingram.
    outcome_unknown: bool = False

    def __init__(self, message: str, *, status: int | None = None, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.remedy = remedy or (HTTP_CODES[status].remedy if status in HTTP_CODES else "")

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(IngramError, ValueError):
    """A call was refused before it was sent, because an argument is malformed."""


class CredentialsError(IngramError):
    """The token endpoint rejected the application's credentials."""

    def __init__(self, status: int | None = None, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"Ingram Micro rejected the app credentials{extra}. Check INGRAM_CLIENT_ID and"
            " INGRAM_CLIENT_SECRET (the App ID and Shared Secret of your app in Ingram Micro's"
            " developer portal).",
            status=status,
            remedy="Check INGRAM_CLIENT_ID and INGRAM_CLIENT_SECRET.",
        )


class AccessNotApprovedError(IngramError):
    """A fresh token was refused with "no apiproduct match": the app is not approved yet."""

    def __init__(self) -> None:
        super().__init__(
            "Ingram Micro accepted the app credentials but the app is not yet approved for the"
            " order APIs (401: no API product match). In Ingram Micro's developer portal, add"
            " OrderLookupAPI v5 and OrderDeleteAPI v5 to the app and wait for the approval;"
            " the credentials themselves are fine.",
            status=401,
            remedy="Ask Ingram Micro to approve the app's access to the order APIs.",
        )


class UnauthorizedError(IngramError):
    """An API call was refused with 401 even with a freshly issued token."""

    def __init__(self) -> None:
        super().__init__(
            "Ingram Micro refused a freshly issued token (401 Unauthorized). Check"
            " INGRAM_CLIENT_ID and INGRAM_CLIENT_SECRET, and that INGRAM_BASE_URL and"
            " INGRAM_SANDBOX point at the environment the app was created for.",
            status=401,
        )


class ForbiddenError(IngramError):
    """403: the app has no access to this API or endpoint."""

    def __init__(self) -> None:
        super().__init__(
            "Ingram Micro answered 403 Forbidden. "
            + HTTP_CODES[403].remedy
            + " (INGRAM_BASE_URL, INGRAM_SANDBOX)",
            status=403,
        )


class BadRequestError(IngramError):
    """400: Ingram could not understand the request."""

    def __init__(self, detail: str = "") -> None:
        extra = f": {detail}" if detail else ""
        super().__init__(
            f"Ingram Micro answered 400 Bad Request{extra}. {HTTP_CODES[400].remedy}",
            status=400,
        )


class EndpointNotFoundError(IngramError):
    """404: the URL is not an Ingram endpoint (a wrong base URL or sandbox setting)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"Ingram Micro answered 404 Not Found for {url}. {HTTP_CODES[404].remedy}"
            " Check INGRAM_BASE_URL and INGRAM_SANDBOX.",
            status=404,
        )


class UnavailableError(IngramError):
    """Ingram did not answer usefully after the retries: 5xx, timeouts, connection errors."""

    outcome_unknown = True

    def __init__(self, status: int | None, attempts: int, detail: str = "") -> None:
        if status is not None:
            what = f"{status} {HTTP_CODES[status].text}" if status in HTTP_CODES else str(status)
        else:
            what = detail or "no response"
        super().__init__(
            f"Ingram Micro is not answering ({what}, {attempts} attempt"
            f"{'s' if attempts != 1 else ''}). Try again in a few minutes; if it persists,"
            " contact your local Ingram Micro ecommerce representative.",
            status=status,
            remedy=(
                HTTP_CODES[status].remedy
                if status in HTTP_CODES
                else "Retry the transaction. If the error persists, contact your local"
                " ecommerce representative."
            ),
        )
        self.attempts = attempts


class OutcomeUnknownError(IngramError):
    """A DELETE may or may not have been carried out, and a lookup could not tell which."""

    outcome_unknown = True

    def __init__(self, ordernumber: str) -> None:
        super().__init__(
            f"The delete of order {ordernumber} timed out and Ingram could not be asked"
            " afterwards whether it happened. Look the order up before trying again.",
            remedy="Look the order up before deleting it again.",
        )


class OutsideWindowError(IngramError):
    """The account's country is outside Ingram's API availability window."""

    def __init__(self, country: str, opens_at: datetime | None, window: str) -> None:
        when = (
            f" It opens again {opens_at.strftime('%a %d %b %H:%M %Z')}."
            if opens_at is not None
            else ""
        )
        super().__init__(
            f"Ingram Micro's order APIs for {country} are outside their availability window"
            f" ({window}).{when}",
            remedy="Try again when the API is open, or set ORDERBOT_IGNORE_WINDOWS=1 if your"
            " Ingram region answers around the clock.",
        )
        self.country = country
        self.opens_at = opens_at


class ResponseFormatError(IngramError):
    """Ingram answered 200 with something the client cannot read."""

    outcome_unknown = True

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Ingram Micro sent a response orderbot cannot read: {detail}.",
            remedy="Retry the transaction. If the error persists, contact your local"
            " ecommerce representative.",
        )


class IncompleteResultError(IngramError):
    """Ingram reported more orders than its pages held: an empty or short page came before
    the end of the result. Nothing read from such a search may be taken as complete."""

    def __init__(self, reported: int, received: int, pages: int) -> None:
        super().__init__(
            f"Ingram Micro reported {reported} orders but its {pages} page"
            f"{'s' if pages != 1 else ''} held only {received}: the answer is incomplete."
            " Nothing was taken from it; try again in a few minutes.",
            remedy="Retry the transaction. If the error persists, contact your local"
            " ecommerce representative.",
        )
        self.reported = reported
        self.received = received
