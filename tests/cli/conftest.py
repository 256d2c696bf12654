"""What the command-line tests share: ``world``, the Ingram emulator and the Slack stand-in
on loopback, with the environment that points orderbot's processes at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.sandbox.ingram import RunningSandbox, SandboxState, start_sandbox
from bot.sandbox.slack import SlackStandIn
from tests.cli.test_cli import ROOT, sandbox_env


@pytest_asyncio.fixture
async def world(
    tmp_path: Path,
) -> AsyncIterator[tuple[RunningSandbox, SlackStandIn, dict[str, str]]]:
    ingram = await start_sandbox(SandboxState())
    slack = SlackStandIn()
    await slack.start()
    env = sandbox_env(
        ingram.url,
        tmp_path,
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_API_URL=slack.api_url,
        ORDERBOT_RULES=str(ROOT / "rules"),
    )
    yield ingram, slack, env
    await slack.stop()
    await ingram.stop()
