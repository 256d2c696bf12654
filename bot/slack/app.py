"""Build the Bolt ``AsyncApp`` and wire every listener in one place.

Every Web API call the app makes (``auth.test``, ``chat.postMessage``, Socket Mode's
``apps.connections.open``) goes to ``SLACK_API_URL`` through one ``AsyncWebClient``;
``respond()`` goes to the ``response_url`` Slack put in the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from bot.slack.actions.delete import make_delete_cancel, make_delete_confirm
from bot.slack.actions.hold import make_hold_refresh, make_hold_snooze, make_hold_take
from bot.slack.actions.pages import make_turn_page
from bot.slack.actions.share import make_share
from bot.slack.blocks import (
    ACTION_DELETE_CANCEL,
    ACTION_DELETE_CONFIRM,
    ACTION_HOLD_REFRESH,
    ACTION_HOLD_SNOOZE,
    ACTION_HOLD_TAKE,
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREVIOUS,
    ACTION_SHARE,
)
from bot.slack.commands.order import make_order_command
from bot.slack.services import Services

log = logging.getLogger("orderbot.slack")

#: The slash commands the app registers (the manifest test checks these).
COMMANDS = ("/order",)


def web_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client every Slack call of orderbot goes through."""
    return AsyncWebClient(token=settings.bot_token.reveal(), base_url=settings.api_url)


def single_workspace_authorize(
    client: AsyncWebClient, identity: Mapping[str, Any] | None = None
) -> Callable[[], Awaitable[Any]]:
    """Bolt's ``authorize`` for one workspace and one bot token: a single ``auth.test``,
    shared by every request. ``identity`` is an ``auth.test`` answer already in hand (the
    runtime checks the token at start), so that no request waits for one; without it the
    first request asks, once for all (Bolt's default asks once for each of a burst of first
    requests after a restart, which Slack then rate-limits)."""
    pending: asyncio.Future[Any] | None = None
    if identity is not None:
        pending = asyncio.get_event_loop().create_future()
        pending.set_result(identity)

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
    async def note_socket_request(req: AsyncBoltRequest, next: Callable[[], Awaitable[Any]]) -> Any:
        # Socket Mode envelopes; HTTP requests are noted by the endpoint as they arrive.
        if req.mode == "socket_mode":
            services.saw_request()
        return await next()

    app.command("/order")(make_order_command(services))
    app.action(ACTION_DELETE_CONFIRM)(make_delete_confirm(services))
    app.action(ACTION_DELETE_CANCEL)(make_delete_cancel(services))
    app.action(ACTION_SHARE)(make_share(services))
    turn_page = make_turn_page(services)
    app.action(ACTION_PAGE_NEXT)(turn_page)
    app.action(ACTION_PAGE_PREVIOUS)(turn_page)
    app.action(ACTION_HOLD_TAKE)(make_hold_take(services))
    app.action(ACTION_HOLD_SNOOZE)(make_hold_snooze(services))
    app.action(ACTION_HOLD_REFRESH)(make_hold_refresh(services))

    @app.error
    async def unhandled(error: Exception) -> None:
        log.error("unhandled error in a Slack listener: %s", type(error).__name__, exc_info=error)


def build_app(
    settings: SlackSettings, services: Services, identity: Mapping[str, Any] | None = None
) -> AsyncApp:
    """The orderbot Slack app, ready to be served over HTTP or Socket Mode; ``identity`` is
    the bot token's ``auth.test`` answer, when the caller already has it."""
    client = web_client(settings)
    with bolt_reads_no_environment():
        app = _bolt_app(settings, client, identity)
    register(app, services)
    return app


@contextlib.contextmanager
def bolt_reads_no_environment() -> Iterator[None]:
    """Hide the ``SLACK_*`` variables from Bolt while it is built: orderbot's settings are its
    only source. Bolt would otherwise read SLACK_BOT_TOKEN itself (and warn at every start,
    "As you gave `client` as well, `token` will be unused"), and SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, if set for anything else, would turn on its OAuth flow."""
    hidden = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith("SLACK_")}
    try:
        yield
    finally:
        os.environ.update(hidden)


def _bolt_app(
    settings: SlackSettings, client: AsyncWebClient, identity: Mapping[str, Any] | None
) -> AsyncApp:
    return AsyncApp(
        # The token reaches each request through ``authorize``; the app's own client needs
        # none (Socket Mode opens its connection with the app-level token).
        client=AsyncWebClient(base_url=settings.api_url),
        authorize=single_workspace_authorize(client, identity),
        signing_secret=settings.signing_secret.reveal(),
        # Listeners ack and hand their work to ``Services.later``: Bolt sends the ack as soon
        # as the listener returns, instead of polling every 10 ms for it.
        process_before_response=True,
        # orderbot takes slash commands and button presses only: Bolt's checks for the
        # Events API, workflow functions and assistant threads would only cost every request.
        url_verification_enabled=False,
        ignoring_self_events_enabled=False,
        ignoring_self_assistant_message_events_enabled=False,
        attaching_function_token_enabled=False,
        attaching_conversation_kwargs_enabled=False,
        logger=logging.getLogger("orderbot.bolt"),
    )
