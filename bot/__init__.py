"""orderbot: a Slack chat-ops bot for Ingram Micro orders."""

__version__ = "0.1.0"
