"""The Web API's ``api.test`` and ``auth.test``: who the bot token says the app is."""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack.web.api import Method
from bot.sandbox.slack.workspace import Workspace


class AuthMethods:
    """``api.test`` (echoes its arguments, needs no token) and ``auth.test``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family serves, by name."""
        return {"api.test": self.api_test, "auth.test": self.auth_test}

    async def api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"args": args} if args else {}

    async def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        w = self.workspace
        return {
            "url": w.team_url,
            "team": w.team_name,
            "user": w.bot_user_name,
            "team_id": w.team_id,
            "user_id": w.bot_user_id,
            "bot_id": w.bot_id,
            "is_enterprise_install": False,
        }
