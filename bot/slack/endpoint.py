"""Slack's request URL (``POST /slack/events``) in HTTP mode: acknowledge first, then work.

Slack wants a 200 within 3 seconds for a slash command or a button press, and nothing else
from it: whatever orderbot answers goes through the request's ``response_url``. So as soon as
the signature checks out (signed as Slack signs, at most five minutes old), the endpoint
answers 200 and hands the request to Bolt in the background. The acknowledgement then never
waits for anything behind it (Bolt's authorisation, a listener, the event loop's other work),
and a burst of 200 commands is acknowledged in a few milliseconds each.

Whatever Bolt would have put in the acknowledgement's body (the usage text of
``/order help``, an authorisation problem) is posted to the ``response_url`` instead, where
Slack shows it the same way, so nothing is lost. Requests that are not form posts from
Slack's slash commands or interactivity go through Bolt before the answer, as usual.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any, Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.tasks import Background

log = logging.getLogger("orderbot.slack")

_FORM = "application/x-www-form-urlencoded"


class Traffic(Protocol):
    """Paces work behind acknowledgements (``Services`` is one)."""

    def saw_request(self) -> None: ...

    async def acks_first(self) -> None: ...


class SlackEndpoint:
    """The aiohttp handler of Slack's request URL, and the work it started.

    With ``traffic``, each request is noted as it arrives and Bolt's work on it waits until
    requests pause, so that the acknowledgements of a burst all go out before that work.
    """

    def __init__(self, app: AsyncApp, signing_secret: str, traffic: Traffic | None = None) -> None:
        self.app = app
        self.traffic = traffic
        self._verifier = SignatureVerifier(signing_secret)
        self._work = Background("Slack requests")

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        if not self.signed_by_slack(body, headers):
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = (body.decode("utf-8"), request.query_string, dict(headers))
        if request.content_type != _FORM:
            return await to_aiohttp_response(await self.app.async_dispatch(_bolt(*bolt_request)))
        if self.traffic is not None:
            self.traffic.saw_request()
        self._work.spawn(self._dispatch(*bolt_request), "slack request")
        return web.Response(status=200)

    def signed_by_slack(self, body: bytes, headers: Any) -> bool:
        """Slack's signature over this body, made less than five minutes ago."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not signature:
            return False
        return self._verifier.is_valid(body, timestamp, signature)

    async def _dispatch(self, body: str, query: str, headers: dict[str, str]) -> None:
        """Run Bolt; pass on anything it wanted to say in the acknowledgement."""
        if self.traffic is not None:
            await self.traffic.acks_first()
        request = _bolt(body, query, headers)
        try:
            response = await self.app.async_dispatch(request)
        except Exception:
            log.exception("a Slack request failed in Bolt")
            return
        if response.status != 200:
            log.warning(
                "Bolt answered %d to a Slack request: %s", response.status, response.body[:200]
            )
        elif response.body:
            await self._post_ack_body(request, response)

    async def _post_ack_body(self, request: AsyncBoltRequest, response: BoltResponse) -> None:
        response_url = _response_url(request.body)
        if not response_url:
            return
        message = _ack_message(response.body)
        try:
            await AsyncWebhookClient(response_url).send_dict(message)
        except Exception as exc:  # the user may see nothing, so at least the log says why
            log.warning("could not post an acknowledgement to response_url: %s", type(exc).__name__)

    async def drain(self, grace: float = 10.0) -> None:
        """Let requests being worked on finish (up to ``grace`` s), then cancel the rest."""
        await self._work.drain(grace)


def _bolt(body: str, query: str, headers: dict[str, str]) -> AsyncBoltRequest:
    return AsyncBoltRequest(body=body, query=query, headers=headers)


def _response_url(body: dict[str, Any]) -> str:
    """Bolt parses a slash command's form, and an interaction's ``payload``, into ``body``;
    both carry the ``response_url``."""
    url = body.get("response_url")
    return url if isinstance(url, str) else ""


def _ack_message(body: str) -> dict[str, Any]:
    """An acknowledgement body (JSON message or plain text) as an ephemeral message."""
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict):
            return {"response_type": "ephemeral", **data}
    return {"response_type": "ephemeral", "text": body}
