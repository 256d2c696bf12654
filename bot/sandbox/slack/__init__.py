"""The Slack stand-in: the parts of Slack the app can observe, on loopback, and a Slack user.

Usage::

    async with SlackStandIn(bot_token="xoxb-test", app_token="xapp-test") as slack:
        ... slack.api_url, slack.messages, await slack.wait_for(...) ...
"""

from bot.sandbox.slack.messages import (
    DEFAULT_CHANNELS,
    MAX_BLOCKS,
    RESPONSE_URL_LIFETIME,
    RESPONSE_URL_MAX_USES,
    ApiCall,
    Button,
    Fault,
    Message,
    SlackStandIn,
    SocketModeTimeout,
    parse_blocks,
    validate_blocks,
)
from bot.sandbox.slack.user import SlackRequestResult, SlackUser, sign

__all__ = [
    "DEFAULT_CHANNELS",
    "MAX_BLOCKS",
    "RESPONSE_URL_LIFETIME",
    "RESPONSE_URL_MAX_USES",
    "ApiCall",
    "Button",
    "Fault",
    "Message",
    "SlackRequestResult",
    "SlackStandIn",
    "SlackUser",
    "SocketModeTimeout",
    "parse_blocks",
    "sign",
    "validate_blocks",
]
