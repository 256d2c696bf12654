"""Every environment variable orderbot reads, with its default and meaning: the table the
README's configuration section is checked against (``tests/test_readme.py``) and
``bot.config`` reads by. A data table, apart from the reading and checking."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingram import COUNTRIES
from bot.ingram import DEFAULT_BASE_URL as DEFAULT_INGRAM_BASE_URL

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Variable:
    """One environment variable orderbot reads, for the README table and ``--help``."""

    name: str
    default: str
    meaning: str


#: Every variable orderbot reads. The README's table is checked against this list.
VARIABLES: tuple[Variable, ...] = (
    Variable(
        "INGRAM_CLIENT_ID", "(required)", "App ID of your app in Ingram Micro's developer portal"
    ),
    Variable("INGRAM_CLIENT_SECRET", "(required)", "Shared Secret of that app"),
    Variable(
        "INGRAM_CUSTOMER_NUMBER", "(required)", "your Ingram Micro customer number, e.g. 20-123456"
    ),
    Variable(
        "INGRAM_COUNTRY", "(required)", "ISO code of the account's country: " + ", ".join(COUNTRIES)
    ),
    Variable(
        "INGRAM_BASE_URL",
        DEFAULT_INGRAM_BASE_URL,
        "token URL is {base}/oauth/oauth30/token, APIs under {base}/resellers/v5/",
    ),
    Variable("INGRAM_SANDBOX", "0", "1 puts the APIs under {base}/sandbox/resellers/v5/"),
    Variable("INGRAM_TIMEOUT", "30", "seconds to wait for any one Ingram call"),
    Variable("INGRAM_RATE_LIMIT", "60", "Ingram calls allowed per 60 s for the whole process"),
    Variable("SLACK_BOT_TOKEN", "(required by serve)", "the app's Bot User OAuth Token, xoxb-..."),
    Variable("SLACK_SIGNING_SECRET", "(required by serve)", "the app's Signing Secret"),
    Variable("SLACK_APP_TOKEN", "(unset)", "an App-Level Token xapp-... turns Socket Mode on"),
    Variable("SLACK_API_URL", DEFAULT_SLACK_API_URL, "base URL of the Slack Web API"),
    Variable(
        "SLACK_TIMEOUT",
        "10",
        "seconds to wait for Slack's answer to one alert post (then it is looked for before"
        " it is posted again)",
    ),
    Variable("ORDERBOT_DB", "orderbot.db", "SQLite database file"),
    Variable(
        "ORDERBOT_DELETE_ALLOWED",
        "(empty: nobody)",
        "comma-separated Slack user IDs who may delete orders",
    ),
    Variable(
        "ORDERBOT_POLL_INTERVAL", "300", "seconds between polls; 0 turns the poller off in serve"
    ),
    Variable(
        "ORDERBOT_LOOKBACK_DAYS", "30", "the poller watches orders entered in the last N days"
    ),
    Variable("ORDERBOT_IGNORE_WINDOWS", "0", "1 turns every Ingram availability-window check off"),
    Variable(
        "ORDERBOT_RULES",
        "rules/",
        "YAML rules file, or folder of *.yaml files; unset: ./rules, and serve stops if none",
    ),
    Variable(
        "ORDERBOT_RULES_CHECK",
        "5",
        "seconds between serve's checks of the rules files for a change; 0: only SIGHUP reloads",
    ),
    Variable("ORDERBOT_LOG_FORMAT", "text", "text, or json for JSON lines"),
    Variable("ORDERBOT_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Variable("ORDERBOT_PORT", "3000", "HTTP port of serve (Slack request URL and /healthz)"),
    Variable("ORDERBOT_HEALTH_PORT", "8081", "port of the /healthz server in Socket Mode"),
    Variable(
        "ORDERBOT_LEASE_SECONDS",
        "30",
        "one process polls and delivers per database; another serve takes over within this"
        " time when it dies (at least 2.5 times SLACK_TIMEOUT)",
    ),
    Variable(
        "ORDERBOT_RETENTION_DAYS",
        "90",
        "delivered alerts, events, polls and used or expired confirmations older than this"
        " are pruned",
    ),
    Variable("ORDERBOT_AUDIT_RETENTION_DAYS", "400", "the audit trail is kept this many days"),
)
