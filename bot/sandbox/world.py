"""A whole orderbot world on loopback: Ingram emulator, Slack stand-in, database and the bot.

``SandboxWorld`` is what the Slack tests, ``bench/ack.py`` and ``orderbot demo`` run on. It
starts the Ingram sandbox emulator (with its own ``SandboxState``), the Slack stand-in and
the real bot, ``bot.runtime.Orderbot`` (the code path of ``orderbot serve``), built from
settings that ``bot.config.load_settings`` reads from an environment pointing at both
stand-ins::

    async with SandboxWorld(delete_allowed=["U0ALICE"]) as world:
        alice = world.user()
        result = await alice.command("/order", "20-RD12H")
        answer = await result.reply()
        world.ingram.state.search_calls, world.slack.messages, ...

``socket_mode=True`` serves the app over the stand-in's Socket Mode websocket instead of
HTTP; users then send their commands and presses through the socket.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from bot.clock import Clock, utc_now
from bot.config import Settings, load_settings
from bot.ingram import IngramSettings, RetryPolicy
from bot.runtime import Orderbot
from bot.sandbox.ingram import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_COUNTRY,
    SANDBOX_CUSTOMER,
    RunningSandbox,
    SandboxState,
    default_scenario,
    start_sandbox,
)
from bot.sandbox.slack import Message, SlackRequestResult, SlackStandIn, SlackUser
from bot.shipped import rules_folder
from bot.slack.connect import SlackConnection

SIGNING_SECRET = "sandbox-signing-secret"  # noqa: S105 - the stand-in's own fake secret
#: Retries for tests: a few, milliseconds apart.
FAST_RETRY = RetryPolicy(attempts=3, base=0.01, cap=0.02)


def sandbox_ingram_settings(url: str, **changes: Any) -> IngramSettings:
    """Settings of an Ingram client for the emulator's sandbox customer at ``url``, windows
    off; ``changes`` replace fields (``timeout=0.2``, ``client_secret="wrong"``)."""
    options: dict[str, Any] = {
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        "customer_number": SANDBOX_CUSTOMER,
        "country": SANDBOX_COUNTRY,
        "base_url": url,
        "sandbox": True,
        "windows_enforced": False,
    }
    return IngramSettings(**{**options, **changes})


class WorldUser(SlackUser):
    """A ``SlackUser`` whose commands and presses go the way the world serves the app:
    to its request URL in HTTP mode, through the socket in Socket Mode."""

    via_socket: bool = False

    async def command(self, command: str, text: str = "", **options: Any) -> SlackRequestResult:
        options.setdefault("via_socket", self.via_socket)
        return await super().command(command, text, **options)

    async def press(
        self, message: Message, button: str, **options: Any
    ) -> SlackRequestResult | None:
        options.setdefault("via_socket", self.via_socket)
        return await super().press(message, button, **options)


class SandboxWorld:
    """Ingram emulator + Slack stand-in + SQLite + the real bot, on 127.0.0.1.

    Options: ``scenario`` (the emulator's scenario clock moves holds on and off), ``clock``
    (the bot's clock; also the emulator's unless ``ingram_clock`` is given), ``rate_limit``
    (the emulator's limit and ``INGRAM_RATE_LIMIT``), ``latency`` (seconds added to every
    Ingram API call), ``db_path`` (default: a temporary file), ``socket_mode``,
    ``delete_allowed`` (``ORDERBOT_DELETE_ALLOWED``; by default the default user, alice),
    ``poll_interval`` (0: the poller is off), ``rules`` (default: the shipped examples),
    ``ignore_windows``, ``retry`` (the
    Ingram client's retry policy), ``ingram_timeout``, ``socket_ping_interval``, ``env``
    (more variables, applied last), ``ingram_url``: an emulator already running elsewhere
    (another process, as Ingram is), in which case none is started here and ``ingram`` is
    None, and ``slack_first_delay``: the first wait before start-up tries Slack again.
    """

    def __init__(
        self,
        *,
        scenario: bool = False,
        clock: Clock = utc_now,
        ingram_clock: Clock | None = None,
        rate_limit: int = 60,
        latency: float = 0.0,
        db_path: str | Path | None = None,
        socket_mode: bool = False,
        delete_allowed: Iterable[str] = ("U0ALICE",),
        poll_interval: float = 0.0,
        rules: str | Path | None = None,
        ignore_windows: bool = True,
        retry: RetryPolicy | None = None,
        ingram_timeout: float = 30.0,
        socket_ping_interval: float = 10.0,
        env: Mapping[str, str] | None = None,
        ingram_url: str | None = None,
        slack_first_delay: float = 0.05,
    ) -> None:
        self.clock = clock
        self.slack_first_delay = slack_first_delay
        self._ingram_url = ingram_url
        self.socket_mode = socket_mode
        self.socket_ping_interval = socket_ping_interval
        self.retry = retry
        sandbox_clock = ingram_clock or clock
        self.state = SandboxState(
            clock=sandbox_clock,
            scenario=default_scenario(sandbox_clock()) if scenario else None,
            rate_limit=rate_limit,
            latency=latency,
        )
        self._db_path = Path(db_path) if db_path is not None else None
        self._options = {
            "rate_limit": rate_limit,
            "delete_allowed": ",".join(delete_allowed),
            "poll_interval": poll_interval,
            "rules": rules if rules is not None else rules_folder(),
            "ignore_windows": ignore_windows,
            "ingram_timeout": ingram_timeout,
        }
        self._env = dict(env or {})
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.ingram: RunningSandbox | None = None
        self.slack: SlackStandIn
        self.settings: Settings
        self.bot: Orderbot

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> SandboxWorld:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the emulator, the stand-in and the bot; returns once the bot serves."""
        try:
            if self._db_path is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="orderbot-world-")
                self._db_path = Path(self._tmp.name) / "orderbot.db"
            if self._ingram_url is None:
                self.ingram = await start_sandbox(self.state, port=0)
            self.slack = SlackStandIn(clock=utc_now)
            await self.slack.start()
            # Slack sends every request on its own connection: no client-side pool limit.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            self.settings = load_settings(self.environment())
            self.bot = await self._start_bot(port=0)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the bot, then the stand-ins; remove the temporary database."""
        for part in ("bot", "_session", "slack", "ingram"):
            running = getattr(self, part, None)
            if running is not None:
                await (running.close() if part == "_session" else running.stop())
        if self._tmp is not None:
            self._tmp.cleanup()

    async def restart_bot(self) -> Orderbot:
        """Stop the bot and start a new one on the same database (and the same port, so
        users made before still reach it): what a deploy between two clicks looks like."""
        port = self.bot.http.port if self.bot.http and not self.socket_mode else 0
        await self.bot.stop()
        self.bot = await self._start_bot(port=port)
        return self.bot

    async def _start_bot(self, *, port: int) -> Orderbot:
        bot = Orderbot(
            self.settings,
            clock=self.clock,
            host="127.0.0.1",
            port=port,
            socket_ping_interval=self.socket_ping_interval,
            ingram_options={"retry": self.retry} if self.retry else None,
            slack_connection=SlackConnection(
                first_delay=self.slack_first_delay, max_delay=20 * self.slack_first_delay
            ),
            warn_new_db=self._tmp is None,  # a temporary database is new on purpose
        )
        try:
            await bot.start()
        except BaseException:
            await bot.stop()
            raise
        return bot

    # --- configuration ---------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The environment ``load_settings`` reads: both stand-ins, the database, the rules."""
        o = self._options
        env = {
            "INGRAM_CLIENT_ID": SANDBOX_CLIENT_ID,
            "INGRAM_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "INGRAM_CUSTOMER_NUMBER": SANDBOX_CUSTOMER,
            "INGRAM_COUNTRY": SANDBOX_COUNTRY,
            "INGRAM_BASE_URL": self._ingram_url or self.ingram.url,
            "INGRAM_SANDBOX": "1",
            "INGRAM_TIMEOUT": str(o["ingram_timeout"]),
            "INGRAM_RATE_LIMIT": str(o["rate_limit"]),
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "ORDERBOT_DB": str(self._db_path),
            "ORDERBOT_DELETE_ALLOWED": str(o["delete_allowed"]),
            "ORDERBOT_POLL_INTERVAL": str(o["poll_interval"]),
            "ORDERBOT_IGNORE_WINDOWS": "1" if o["ignore_windows"] else "0",
            "ORDERBOT_RULES": str(o["rules"]),
            "ORDERBOT_PORT": "0",
            "ORDERBOT_HEALTH_PORT": "0",
        }
        if self.socket_mode:
            env["SLACK_APP_TOKEN"] = self.slack.app_token
        env.update(self._env)
        return env

    # --- users -----------------------------------------------------------------------------

    @property
    def request_url(self) -> str | None:
        """Slack's request URL of the bot (None in Socket Mode)."""
        return None if self.socket_mode else f"{self.bot.url}/slack/events"

    def user(
        self, user_id: str = "U0ALICE", name: str = "alice", channel: str = "C0GENERAL"
    ) -> WorldUser:
        """A workspace member whose commands and presses reach the bot as Slack's would."""
        user = WorldUser(
            self.slack,
            self.request_url,
            SIGNING_SECRET,
            user_id=user_id,
            user_name=name,
            channel_id=channel,
            session=self._session,
        )
        user.via_socket = self.socket_mode
        return user
