"""Shared by the Ingram emulator's HTTP tests: the spec's paths, raw calls with a token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.sandbox.ingram import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    RunningSandbox,
)

START = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
TOKEN_PATH = "/oauth/oauth30/token"
SEARCH = "/resellers/v5/orders/search"
ORDERS = "/resellers/v5/orders"
#: The account's parameters as Ingram spells them: the search and the delete differ.
CUSTOMER = {"customerNumber": SANDBOX_CUSTOMER, "isocountrycode": SANDBOX_COUNTRY}
DELETE_CUSTOMER = {"customerNumber": SANDBOX_CUSTOMER, "isoCountryCode": SANDBOX_COUNTRY}
#: What the delete spec asks for besides the token.
DELETE_HEADERS = {"Content-Type": "application/json"}
GOOD_FORM = {
    "grant_type": "client_credentials",
    "client_id": SANDBOX_CLIENT_ID,
    "client_secret": SANDBOX_CLIENT_SECRET,
}
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")

Factory = Callable[..., Awaitable[RunningSandbox]]


async def get_token(http: httpx.AsyncClient) -> str:
    response = await http.post(TOKEN_PATH, data=GOOD_FORM)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class Api:
    """Raw calls with a bearer token; the customer's parameters are added unless given."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    async def search(self, prefix: str = "", **params: Any) -> httpx.Response:
        query = {**CUSTOMER, **params}
        return await self.http.get(f"{prefix}{SEARCH}", params=query, headers=self.headers)

    async def delete(self, number: str, prefix: str = "", **params: Any) -> httpx.Response:
        return await self.http.delete(
            f"{prefix}{ORDERS}/{number}",
            params={**DELETE_CUSTOMER, **params},
            headers={**self.headers, **DELETE_HEADERS},
        )

    async def find(self, number: str) -> dict[str, Any]:
        """The full JSON of one order (table layout assumed)."""
        response = await self.search(ordernumber=number)
        assert response.status_code == 200
        orders = response.json()["serviceresponse"]["ordesearchresponse"]["orders"]
        assert len(orders) == 1
        return orders[0]


def entry_date(sandbox: RunningSandbox, number: str) -> str:
    order = sandbox.state.order(number)
    assert order is not None
    return order.entrytimestamp.date().isoformat()


def preamble(response: httpx.Response) -> dict[str, Any]:
    data = response.json()
    service = data.get("serviceresponse") or data.get("servicerresponse")
    return service["responsepreamble"]
