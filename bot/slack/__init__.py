"""The Slack side of orderbot: the Bolt app, its listeners and the messages it sends."""
