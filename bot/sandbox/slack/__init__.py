"""A local stand-in for Slack: the Web API, ``response_url``s and a Socket Mode websocket.

Slack is never reachable from the tests, the benchmarks or ``orderbot demo``, so this server
plays the parts of Slack the app can observe, as closely as the app can tell:

* the Web API at ``POST {url}/api/<method>`` (what ``SLACK_API_URL`` points at), with Slack's
  ``{"ok": ..., "error": ...}`` envelope, HTTP statuses, token checks, channel errors,
  Block Kit limits (``invalid_blocks``), message metadata, reading channels back
  (``conversations.history``/``replies``), rate limiting (429 + ``Retry-After``), outages,
  and what networks do to answers (a dropped connection, a hang, a proxy's HTML page);
* ``response_url``s (``{url}/response/<id>``): 5 uses within 30 minutes, replace/delete of the
  original message;
* Socket Mode: ``apps.connections.open`` hands out ``ws://.../socket/<n>``; the socket says
  ``hello``, delivers envelopes, waits for acks, answers pings, and can "go silent" like a
  long-running Socket Mode connection that has quietly died.

Everything the app sends is recorded in ``standin.messages`` (and every Web API call in
``standin.calls``) so tests can assert on it and the demo can print it (``Message.lines``).
``SlackUser`` plays a person in the workspace: it signs requests to the app as Slack does.

Where things are (each module imports only those listed before it):

* ``texts``: a message's text objects: their length as ``msg_blocks_too_long`` counts it,
  and what Slack would auto-link in them.
* ``messages``: ``Message``, ``Button``, ``ApiCall``, and a message laid out in lines for a
  terminal (``Line``, ``Span``; ``Message.render`` as plain text).
* ``errors``: ``ApiError``, Slack's ``ok: false`` answer.
* ``validation``: Block Kit limits, ``validate_blocks``, ``check_message`` (message size).
* ``metadata``: message metadata as Slack reads it.
* ``faults``: ``Fault``, ``FaultPlan`` (per-method faults, ``down``, misbehaving answers).
* ``workspace``: ``Workspace``: identity, tokens, channels, recorded messages, waiting.
* ``web``: the Web API: ``web.api`` (envelope, auth, scopes) and one module per method
  family (``web.auth``, ``web.chat``, ``web.conversations``).
* ``response_url``: response URLs; ``socket_mode``: Socket Mode and
  ``apps.connections.open``.
* ``standin``: ``SlackStandIn``, which is the workspace and serves the parts above.
* ``user``: ``SlackUser``, the simulated Slack user.
"""

from bot.sandbox.slack.faults import Fault
from bot.sandbox.slack.messages import ApiCall, Button, Line, Message, Span
from bot.sandbox.slack.response_url import RESPONSE_URL_LIFETIME, RESPONSE_URL_MAX_USES
from bot.sandbox.slack.socket_mode import SocketModeTimeout
from bot.sandbox.slack.standin import SlackStandIn
from bot.sandbox.slack.user import SlackRequestResult, SlackUser, sign
from bot.sandbox.slack.validation import MAX_BLOCKS, parse_blocks, validate_blocks
from bot.sandbox.slack.workspace import DEFAULT_CHANNELS

__all__ = [
    "DEFAULT_CHANNELS",
    "MAX_BLOCKS",
    "RESPONSE_URL_LIFETIME",
    "RESPONSE_URL_MAX_USES",
    "ApiCall",
    "Button",
    "Fault",
    "Line",
    "Message",
    "SlackRequestResult",
    "SlackStandIn",
    "SlackUser",
    "SocketModeTimeout",
    "Span",
    "parse_blocks",
    "sign",
    "validate_blocks",
]
