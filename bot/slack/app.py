"""Build the Bolt ``AsyncApp`` and wire every listener in one place.

Every Web API call the app makes (``auth.test``, ``chat.postMessage``, Socket Mode's
``apps.connections.open``) goes to ``SLACK_API_URL`` through one ``AsyncWebClient``;
``respond()`` goes to the ``response_url`` Slack put in the request.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from bot.slack.actions.delete import make_delete_cancel, make_delete_confirm
from bot.slack.actions.share import make_share
from bot.slack.blocks import ACTION_DELETE_CANCEL, ACTION_DELETE_CONFIRM, ACTION_SHARE
from bot.slack.commands.order import make_order_command
from bot.slack.services import Services

log = logging.getLogger("orderbot.slack")

#: The slash commands the app registers (the manifest test checks these).
COMMANDS = ("/order",)


def web_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client every Slack call of orderbot goes through."""
    return AsyncWebClient(token=settings.bot_token.reveal(), base_url=settings.api_url)


def register(app: AsyncApp, services: Services) -> None:
    """Attach every listener: one slash command and the buttons its answers carry."""
    app.command("/order")(make_order_command(services))
    app.action(ACTION_DELETE_CONFIRM)(make_delete_confirm(services))
    app.action(ACTION_DELETE_CANCEL)(make_delete_cancel(services))
    app.action(ACTION_SHARE)(make_share(services))

    @app.error
    async def unhandled(error: Exception) -> None:
        log.error("unhandled error in a Slack listener: %s", type(error).__name__, exc_info=error)


def build_app(settings: SlackSettings, services: Services) -> AsyncApp:
    """The orderbot Slack app, ready to be served over HTTP or Socket Mode."""
    app = AsyncApp(
        client=web_client(settings),
        signing_secret=settings.signing_secret.reveal(),
        process_before_response=False,
        logger=logging.getLogger("orderbot.bolt"),
    )
    register(app, services)
    return app
