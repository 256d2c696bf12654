"""The code tables of Ingram Micro's OrderLookupAPI v5 and OrderDeleteAPI v5, as data.

Every table here is copied from the specifications (``OrderLookupAPI-v5.txt``,
``OrderDeleteAPI-v5.txt``). A blank code is the empty string.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Order Status Codes (OrderLookupAPI v5). Blank means in progress/open.
ORDER_STATUSES: dict[str, str] = {
    "": "In progress/Open order",
    "C": "Credit hold",
    "D": "Shipment hold",
    "E": "Billing error",
    "F": "Invoiced",
    "I": "Billed",
    "O": "Ecommerce Hold",
    "R": "Released to the warehouse management system",
    "S": "Sales Hold",
    "V": "Deleted order",
    "W": "Order not released to the warehouse management system",
}

#: Hold Reason Codes (OrderLookupAPI v5). Blank means no hold.
HOLD_REASONS: dict[str, str] = {
    "": "No hold",
    "AC": "Adjusted cost hold",
    "BA": "Bad address hold",
    "BL": "Special bid hold",
    "BO": "Bill only hold",
    "C3": "Credit hold",
    "C4": "Credit hold",
    "C5": "Credit hold",
    "C8": "Credit hold",
    "CC": "Credit card hold",
    "CH": "Credit check hold",
    "CL": "Credit check hold",
    "EA": "ACOP hold",
    "EH": "ACOP hold",
    "ER": "Final review hold",
    "ES": "End-user rejected/missing",
    "EU": "End-user data missing",
    "EX": "Export hold",
    "FL": "Flooring hold",
    "GM": "Margin hold",
    "IC": "All orders set to hold (customer setting)",
    "IM": "Customer hold",
    "IN": "Fulfilment (dropship) value hold",
    "LM": "Margin hold",
    "LT": "Margin hold",
    "MN": "Pricing hold",
    "PC": "Credit check hold",
    "PD": "Credit check hold",
    "R1": "Export hold",
    "RP": "Export hold",
    "S2": "Combined SM/SP hold",
    "SB": "Special bid hold",
    "SE": "Special product hold",
    "SF": "Freight hold",
    "SH": "Sales hold",
    "SM": "Waive minimum order fee hold",
    "SP": "Price change hold",
    "TV": "Transmit to vendor hold (awaiting a response)",
    "VO": "Deleted order",
    "VR": "Vendor required information missing",
    "WT": "Weight hold",
    "ZS": "IM-Online offline hold",
}

#: Hold reason codes that are credit holds of one kind or another.
CREDIT_HOLD_CODES: frozenset[str] = frozenset(
    {"C3", "C4", "C5", "C8", "CC", "CH", "CL", "PC", "PD"}
)

#: Status codes of an order that has gone past the point where it can be deleted:
#: released to the warehouse, billed or invoiced.
UNDELETABLE_STATUSES: frozenset[str] = frozenset({"R", "I", "F"})

#: Status and hold reason code of a deleted order.
DELETED_STATUS = "V"
DELETED_HOLD = "VO"


@dataclass(frozen=True, slots=True)
class HttpCode:
    """One row of the specs' "API HTTP Response Codes" table."""

    code: int
    text: str
    reason: str
    remedy: str


#: API HTTP Response Codes, with the specs' remedial actions.
HTTP_CODES: dict[int, HttpCode] = {
    row.code: row
    for row in (
        HttpCode(200, "OK", "Successful transaction.", "None required."),
        HttpCode(
            400,
            "Bad Request",
            "The server could not understand the request due to invalid syntax.",
            "Check that your request is correctly formed.",
        ),
        HttpCode(
            401,
            "Unauthorized",
            "The request was unauthenticated.",
            "Check App ID and Client Secret values are valid and request a new token.",
        ),
        HttpCode(
            403,
            "Forbidden",
            "The client does not have access rights to the content.",
            "Check you are using the correct endpoint and that you have been granted access"
            " to the requested API.",
        ),
        HttpCode(
            404,
            "Not Found",
            "The server cannot find the requested resource.",
            "Check you are using the correct endpoint.",
        ),
        HttpCode(
            429,
            "Too Many Requests",
            'The user has sent too many requests within a given amount of time ("rate limiting").',
            "None required but no more requests will be allowed within the allotted period.",
        ),
        HttpCode(
            500,
            "Internal Server Error",
            "The server has encountered a situation it doesn't know how to handle.",
            "Retry the transaction. If the error persists, contact your local ecommerce"
            " representative.",
        ),
        HttpCode(
            502,
            "Bad Gateway",
            "This error response means that the server, while working as a gateway to get a"
            " response needed to handle the request, got an invalid response.",
            "Retry the transaction. If the error persists, contact your local ecommerce"
            " representative.",
        ),
        HttpCode(
            503,
            "Service Unavailable",
            "The server is not ready to handle the request.",
            "Retry the transaction. If the error persists, contact your local ecommerce"
            " representative.",
        ),
        HttpCode(
            504,
            "Gateway Timeout",
            "This error response is given when the server is acting as a gateway and cannot"
            " get a response in time.",
            "Retry the transaction. If the error persists, contact your local ecommerce"
            " representative.",
        ),
    )
}

#: HTTP codes that are worth retrying with backoff.
RETRYABLE_HTTP_CODES: frozenset[int] = frozenset({500, 502, 503, 504})


# --- Response preambles -----------------------------------------------------------------------

#: OrderLookupAPI "Response Preamble Status Codes" that mean "nothing matched"; compared
#: case-insensitively with trailing dots and spaces removed.
LOOKUP_NO_DATA_MESSAGES: frozenset[str] = frozenset(
    {"no data found for given search criteria", "no data found"}
)


@dataclass(frozen=True, slots=True)
class DeletePreamble:
    """One row of OrderDeleteAPI's "Response Preamble Status Codes" table."""

    responsestatus: str
    statuscode: str
    responsemessage: str
    reason: str
    remedy: str


DELETE_OK = DeletePreamble(
    "SUCCESS", "200", "Order Deleted Successfully for OrderNumber", "Order was deleted", "None"
)
DELETE_NOT_FOUND = DeletePreamble(
    "FAILED",
    "1",
    "OrderDelete Failed as the OrderNumber does not exists",
    "The order number provided in the query parameters was invalid",
    "Check the query parameters provided and resubmit your request",
)
DELETE_TECHNICAL_ERROR = DeletePreamble(
    "FAILED",
    "406",
    "Technical error occurred ,please contact support team",
    "Unhandled error",
    "Resubmit request. If error persists, contact your local ecommerce representative",
)
DELETE_ALREADY_DELETED = DeletePreamble(
    "FAILED",
    "406",
    "OrderDelete Failed as the OrderNumber is already deleted",
    "Order was already deleted",
    "None",
)
DELETE_ABEND = DeletePreamble(
    "FAILED",
    "406",
    "OrderDelete_v2_0- Invoke Orderdelete Impulse API Call 5100 - - ABEND OCCURED WHEN LINKED"
    " TO WWPTRG - PARA 5100- PROGRAM ABENDED:ORP550 xxxxxxxx",
    "Unhandled error",
    "Resubmit request. If error persists, contact your local ecommerce representative",
)
DELETE_BACKEND_503 = DeletePreamble(
    "FAILED",
    "406",
    "OrderDelete_v2_0- Invoke Orderdelete Impulse API Call The Http Server replied with a 5XX"
    " status code 503 Service Unavailable",
    "A problem occurred when connecting to a backend service",
    "Resubmit request. If error persists, contact your local ecommerce representative",
)

DELETE_PREAMBLES: tuple[DeletePreamble, ...] = (
    DELETE_OK,
    DELETE_NOT_FOUND,
    DELETE_TECHNICAL_ERROR,
    DELETE_ALREADY_DELETED,
    DELETE_ABEND,
    DELETE_BACKEND_503,
)


def status_description(code: str) -> str:
    """The spec's description of an order status code ("" for an unknown code)."""
    return ORDER_STATUSES.get(code.strip().upper(), "")


def hold_description(code: str) -> str:
    """The spec's description of a hold reason code ("" for an unknown code)."""
    return HOLD_REASONS.get(code.strip().upper(), "")
