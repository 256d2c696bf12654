"""The Ingram sandbox's OAuth token and API auth over real loopback, as the specs show them.

Raw httpx against the emulator (tests marked "spec:" are the specs' "Recommended Tests"), so
that what is checked is the wire format.
"""

from __future__ import annotations

import httpx
import pytest

from bot.clock import ManualClock
from bot.sandbox.ingram import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, RunningSandbox
from tests.sandbox.ingram.helpers import (
    CUSTOMER,
    DELETE_CUSTOMER,
    DELETE_HEADERS,
    GOOD_FORM,
    ORDERS,
    RATE_HEADERS,
    SEARCH,
    TOKEN_PATH,
    Api,
    Factory,
    get_token,
)


async def test_token_issued_as_the_spec_shows(sandbox: RunningSandbox, http: httpx.AsyncClient):
    response = await http.post(TOKEN_PATH, data=GOOD_FORM)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "86399"  # a string, as in the spec's sample
    assert len(body["access_token"]) == 28 and body["access_token"].isalnum()
    assert sandbox.state.counters.token_requests == 1
    assert "x-ratelimit-limit" not in response.headers  # token calls are not rate limited


async def test_token_bad_credentials_401(http: httpx.AsyncClient):
    for form in (
        {**GOOD_FORM, "client_secret": "wrong"},
        {**GOOD_FORM, "client_id": "someone-else"},
        {"grant_type": "client_credentials"},
    ):
        response = await http.post(TOKEN_PATH, data=form)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert "wrong" not in response.text


async def test_token_form_names_are_case_sensitive(http: httpx.AsyncClient):
    """OAuth 2.0 parameter names are case-sensitive (RFC 6749, 3.1)."""
    shouting = {k.upper(): v for k, v in GOOD_FORM.items()}
    assert (await http.post(TOKEN_PATH, data=shouting)).status_code == 400  # no grant_type
    camel = {**GOOD_FORM, "clientId": GOOD_FORM["client_id"]}
    del camel["client_id"]
    assert (await http.post(TOKEN_PATH, data=camel)).status_code == 401


async def test_token_grant_type_must_be_client_credentials(http: httpx.AsyncClient):
    missing = {k: v for k, v in GOOD_FORM.items() if k != "grant_type"}
    assert (await http.post(TOKEN_PATH, data=missing)).status_code == 400
    response = await http.post(TOKEN_PATH, data={**GOOD_FORM, "grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_token_by_basic_auth(http: httpx.AsyncClient):
    response = await http.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
    )
    assert response.status_code == 200


async def test_token_expires_by_the_clock(make_sandbox: Factory, clock: ManualClock):
    running = await make_sandbox(token_ttl=100)
    async with httpx.AsyncClient(base_url=running.url) as http:
        body = (await http.post(TOKEN_PATH, data=GOOD_FORM)).json()
        assert body["expires_in"] == "100"
        api = Api(http, body["access_token"])
        clock.advance(99)
        assert (await api.search(ordernumber="20-RD12H")).status_code == 200
        clock.advance(1)
        response = await api.search(ordernumber="20-RD12H")
        assert response.status_code == 401
        assert response.json() == {
            "fault": {
                "faultstring": "Access Token expired",
                "detail": {"errorcode": "keymanagement.service.access_token_expired"},
            }
        }
        api.token = await get_token(http)
        assert (await api.search(ordernumber="20-RD12H")).status_code == 200


async def test_expire_tokens(sandbox: RunningSandbox, api: Api):
    assert (await api.search(ordernumber="20-RD12H")).status_code == 200
    sandbox.state.expire_tokens()
    response = await api.search(ordernumber="20-RD12H")
    assert response.status_code == 401
    assert response.json()["fault"]["faultstring"] == "Access Token expired"


# --- API auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc", "Bearer"])
async def test_spec_invalid_access_token_401(http: httpx.AsyncClient, header: str | None):
    """spec (lookup and delete): Invalid Access token."""
    headers = {"Authorization": header} if header is not None else {}
    invalid = {
        "fault": {
            "faultstring": "Invalid Access Token",
            "detail": {"errorcode": "keymanagement.service.invalid_access_token"},
        }
    }
    search = await http.get(SEARCH, params={**CUSTOMER, "ordernumber": "20-RD12H"}, headers=headers)
    assert search.status_code == 401
    assert search.json() == invalid
    assert all(h in search.headers for h in RATE_HEADERS)
    delete = await http.delete(
        f"{ORDERS}/20-11852",
        params={**DELETE_CUSTOMER, "entryDate": "2026-03-03"},
        headers={**headers, **DELETE_HEADERS},
    )
    assert delete.status_code == 401
    assert delete.json() == invalid


async def test_not_approved_api_product_401(make_sandbox: Factory):
    running = await make_sandbox(api_product_approved=False)
    async with httpx.AsyncClient(base_url=running.url) as http:
        api = Api(http, await get_token(http))
        response = await api.search(ordernumber="20-RD12H")
        assert response.status_code == 401
        assert response.json() == {
            "fault": {
                "faultstring": "Invalid API call as no apiproduct match found",
                "detail": {
                    "errorcode": "keymanagement.service.InvalidAPICallAsNoApiProductMatchFound"
                },
            }
        }
