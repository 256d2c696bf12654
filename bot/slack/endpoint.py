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

What is refused, each with a 4xx and one log line (never a 500, never a task that fails
after the answer): a timestamp header that is not a plain UNIX time (``²`` passes
``str.isdigit()`` and fails ``int()``; 5,000 digits fail ``int()`` too), a missing, forged or
stale signature, a body that is not UTF-8, signed JSON that does not parse, a ``payload``
that is not a JSON object, any other content type. One exception to the signature: Slack's
``ssl_check=1`` form post, which it sends unsigned to check an HTTP request URL, gets a 200
before the signature is looked at, and nothing is done with it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from typing import Any, Protocol
from urllib.parse import parse_qs

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
_JSON = "application/json"
#: A UNIX time in seconds, as Slack sends it: ASCII digits only, and not absurdly many.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class Refused(Exception):
    """A request the endpoint will not pass on: ``status`` and why, for the one log line."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


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
        try:
            if _is_ssl_check(body, request.content_type):
                return web.Response(status=200)
            text = _utf8(body)  # slack_sdk's verifier decodes the body as UTF-8 itself
            self.check_signature(body, headers)
            _check_readable(text, request.content_type)
        except Refused as refused:
            log.warning(
                "refused a request to %s: %s (%d)", request.path, refused.reason, refused.status
            )
            return web.json_response({"error": "invalid request"}, status=refused.status)
        bolt_request = (text, request.query_string, dict(headers))
        if request.content_type != _FORM:
            return await to_aiohttp_response(await self.app.async_dispatch(_bolt(*bolt_request)))
        if self.traffic is not None:
            self.traffic.saw_request()
        self._work.spawn(self._dispatch(*bolt_request), "slack request")
        return web.Response(status=200)

    def signed_by_slack(self, body: bytes, headers: Any) -> bool:
        """Slack's signature over this body, made less than five minutes ago."""
        try:
            self.check_signature(body, headers)
        except Refused:
            return False
        return True

    def check_signature(self, body: bytes, headers: Any) -> None:
        """Raise ``Refused`` unless Slack signed this body less than five minutes ago."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            missing = "X-Slack-Request-Timestamp" if not timestamp else "X-Slack-Signature"
            raise Refused(401, f"no {missing} header")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused(
                400,
                f"the X-Slack-Request-Timestamp header ({len(timestamp)} characters)"
                " is not a UNIX time",
            )
        if not self._verifier.is_valid(body, timestamp, signature):
            raise Refused(401, "the signature does not match, or the request is over 5 min old")

    async def _dispatch(self, body: str, query: str, headers: dict[str, str]) -> None:
        """Run Bolt; pass on anything it wanted to say in the acknowledgement."""
        if self.traffic is not None:
            await self.traffic.acks_first()
        try:
            request = _bolt(body, query, headers)
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


def _is_ssl_check(body: bytes, content_type: str) -> bool:
    """Slack's unsigned check of an HTTP request URL: a form body whose ``ssl_check`` is
    exactly ``1`` (``ssl_check=1&token=...``)."""
    if content_type != _FORM or b"ssl_check" not in body:
        return False
    try:
        form = parse_qs(body.decode("ascii"), keep_blank_values=True)
    except UnicodeDecodeError:
        return False
    return form.get("ssl_check") == ["1"]


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None


def _check_readable(text: str, content_type: str) -> None:
    """``Refused`` (400, or 415 for a content type Slack never sends) unless Bolt can read
    this body: a form whose ``payload``, if any, is a JSON object, or a JSON object."""
    if content_type not in (_FORM, _JSON):
        raise Refused(415, f"the content type {content_type!r} is not a form or JSON")
    if content_type == _JSON:
        _json_object(text, "the JSON body")
        return
    try:
        form = parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Refused(400, "the form is not UTF-8 once decoded") from None
    if "payload" in form:
        _json_object(form["payload"][0], "the payload field")


def _json_object(text: str, what: str) -> None:
    try:
        value = json.loads(text)
    except ValueError:
        raise Refused(400, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")


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
