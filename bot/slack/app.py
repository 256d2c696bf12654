"""Build the Bolt ``AsyncApp`` and wire every listener in one place.

Every Web API call the app makes (``auth.test``, ``chat.postMessage``, Socket Mode's
``apps.connections.open``) goes to ``SLACK_API_URL`` through one ``AsyncWebClient``;
``respond()`` goes to the ``response_url`` Slack put in the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
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


def single_workspace_authorize(client: AsyncWebClient) -> Callable[[], Awaitable[Any]]:
    """Bolt's ``authorize`` for one workspace and one bot token: a single ``auth.test``,
    shared by every request (Bolt's default calls it on the first request, once for each of
    a burst of first requests after a restart, which Slack then rate-limits)."""
    pending: asyncio.Future[Any] | None = None

    async def authorize() -> AuthorizeResult:
        nonlocal pending
        if pending is None or (pending.done() and pending.exception() is not None):
            pending = asyncio.ensure_future(client.auth_test())
        answer = await asyncio.shield(pending)
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=answer, bot_token=client.token
        )

    return authorize


def register(app: AsyncApp, services: Services) -> None:
    """Attach every listener: one slash command and the buttons its answers carry."""

    @app.middleware
    async def note_request(next: Callable[[], Awaitable[Any]]) -> Any:
        services.saw_request()  # runs after the signature check: forgeries do not count
        return await next()

    app.command("/order")(make_order_command(services))
    app.action(ACTION_DELETE_CONFIRM)(make_delete_confirm(services))
    app.action(ACTION_DELETE_CANCEL)(make_delete_cancel(services))
    app.action(ACTION_SHARE)(make_share(services))

    @app.error
    async def unhandled(error: Exception) -> None:
        log.error("unhandled error in a Slack listener: %s", type(error).__name__, exc_info=error)


def build_app(settings: SlackSettings, services: Services) -> AsyncApp:
    """The orderbot Slack app, ready to be served over HTTP or Socket Mode."""
    client = web_client(settings)
    app = AsyncApp(
        # The token reaches each request through ``authorize``; the app's own client needs
        # none (Socket Mode opens its connection with the app-level token).
        client=AsyncWebClient(base_url=settings.api_url),
        authorize=single_workspace_authorize(client),
        signing_secret=settings.signing_secret.reveal(),
        # Listeners ack and hand their work to ``Services.later``: Bolt sends the ack as soon
        # as the listener returns, instead of polling every 10 ms for it.
        process_before_response=True,
        logger=logging.getLogger("orderbot.bolt"),
    )
    register(app, services)
    return app
