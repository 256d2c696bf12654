"""The Web API's ``conversations.*`` methods: ``conversations.info``."""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack.web.api import Method
from bot.sandbox.slack.workspace import Workspace


class ConversationsMethods:
    """``conversations.info``: a channel as Slack describes it to the app."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family serves, by name."""
        return {"conversations.info": self.info}

    async def info(self, args: dict[str, Any]) -> dict[str, Any]:
        w = self.workspace
        channel = w.resolve_channel(args.get("channel"), check_membership=False)
        name = w.channel_name(channel) or channel.lower()
        return {
            "channel": {
                "id": channel,
                "name": name,
                "is_channel": channel.startswith("C"),
                "is_private": channel.startswith("G"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in w.not_in_channels and name not in w.not_in_channels,
                "is_archived": False,
            }
        }
