"""Local stand-ins for the outside world: Ingram Micro's order APIs and Slack."""
