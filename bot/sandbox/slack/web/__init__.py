"""The Slack stand-in's Web API: ``POST {url}/api/<method>``, what ``SLACK_API_URL`` points at.

``api.WebApi`` answers every call: Slack's ``{"ok": ..., "error": ...}`` envelope and HTTP
statuses, token and scope checks, faults, and the call log (``Workspace.calls``). The methods
themselves are grouped by family, one module each, each a class whose ``methods()`` names
what it serves:

* ``auth``: ``api.test``, ``auth.test``;
* ``chat``: ``chat.postMessage``, ``chat.postEphemeral``, ``chat.update``, ``chat.delete``;
* ``conversations``: ``conversations.info``, ``conversations.history``,
  ``conversations.replies`` (reading a channel back, with message metadata).

``apps.connections.open`` is served by ``bot.sandbox.slack.socket_mode``, which owns the
sockets it opens.
"""
