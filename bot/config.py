"""Every setting orderbot reads, from the environment, validated in one place.

Each part loads only the section it needs (``lookup`` needs Ingram settings, ``serve`` needs
all three), and a missing or malformed variable raises ``ConfigError`` naming it and saying
what a good value looks like. Slack's secrets are wrapped in ``Secret`` and Ingram's are left
out of ``IngramSettings``' repr, so that no repr, log line or error message can show them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.ingram import COUNTRIES, IngramSettings, normalize_country
from bot.ingram import DEFAULT_BASE_URL as DEFAULT_INGRAM_BASE_URL

DEFAULT_SLACK_API_URL = "https://slack.com/api/"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class StartupError(Exception):
    """orderbot cannot start although its settings are well formed (Slack refused the token,
    an API is unreachable); the message says why and what to do."""


class Secret:
    """A credential. Its repr and str never show the value; ``reveal()`` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class SlackSettings:
    """How the app talks to Slack."""

    bot_token: Secret
    signing_secret: Secret
    app_token: Secret | None = None
    api_url: str = DEFAULT_SLACK_API_URL

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


@dataclass(frozen=True)
class BotSettings:
    """orderbot's own settings."""

    db_path: Path = Path("orderbot.db")
    delete_allowed: frozenset[str] = field(default_factory=frozenset)
    poll_interval: float = 300.0
    lookback_days: int = 30
    rules_path: Path = Path("rules")
    #: True when ORDERBOT_RULES said where the rules are (``rules_path`` is then its value).
    rules_given: bool = False
    log_format: str = "text"
    log_level: str = "INFO"
    port: int = 3000
    health_port: int = 8081

    def rules_location(self) -> Path:
        """Where ``serve``, ``poll`` and ``rules check`` read the rules: ORDERBOT_RULES, or
        ``./rules`` when it exists. Never the shipped examples: alerts must not go to the
        examples' channels because the rules were forgotten."""
        if self.rules_given or self.rules_path.exists():
            return self.rules_path
        raise ConfigError(
            f"ORDERBOT_RULES is not set and there is no {self.rules_path}/ folder in"
            f" {Path.cwd()}: run `orderbot rules init` to write the example rules there (then"
            " set their channels), or set ORDERBOT_RULES to your rules file or folder"
        )


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
    Variable("ORDERBOT_LOG_FORMAT", "text", "text, or json for JSON lines"),
    Variable("ORDERBOT_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Variable("ORDERBOT_PORT", "3000", "HTTP port of serve (Slack request URL and /healthz)"),
    Variable("ORDERBOT_HEALTH_PORT", "8081", "port of the /healthz server in Socket Mode"),
)


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _required(env: Mapping[str, str], name: str, hint: str) -> str:
    value = _get(env, name)
    if not value:
        raise ConfigError(f"{name} is not set: {hint}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = _get(env, name).lower()
    if raw == "" and name not in env:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use 1 or 0")


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = _get(env, name)
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    value = _number(env, name, default, minimum=minimum)
    if value != int(value):
        raise ConfigError(f"{name}={_get(env, name)!r} must be a whole number")
    return int(value)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = _get(env, name) or default
    if not re.match(r"^https?://[^/\s]+", raw):
        raise ConfigError(f"{name}={raw!r} is not an http(s) URL")
    return raw


def load_ingram(env: Mapping[str, str] | None = None) -> IngramSettings:
    """The Ingram section; raises ``ConfigError`` naming the first bad variable."""
    env = os.environ if env is None else env
    client_id = _required(env, "INGRAM_CLIENT_ID", "set it to the App ID of your Ingram Micro app")
    client_secret = _required(
        env, "INGRAM_CLIENT_SECRET", "set it to the Shared Secret of your Ingram Micro app"
    )
    customer = _required(
        env, "INGRAM_CUSTOMER_NUMBER", "set it to your Ingram Micro customer number, e.g. 20-123456"
    ).upper()
    if not re.fullmatch(r"[0-9A-Z]{2}-[0-9A-Z]{3,10}", customer):
        raise ConfigError(
            f"INGRAM_CUSTOMER_NUMBER={customer!r} does not look like an Ingram Micro customer"
            " number such as 20-123456"
        )
    country_raw = _required(env, "INGRAM_COUNTRY", "set it to your account's country code, e.g. UK")
    country = normalize_country(country_raw)
    if country not in COUNTRIES:
        raise ConfigError(
            f"INGRAM_COUNTRY={country_raw!r} is not a country Ingram's order APIs serve;"
            f" use one of {', '.join(COUNTRIES)}"
        )
    return IngramSettings(
        client_id=client_id,
        client_secret=client_secret,
        customer_number=customer,
        country=country,
        base_url=_url(env, "INGRAM_BASE_URL", DEFAULT_INGRAM_BASE_URL).rstrip("/"),
        sandbox=_bool(env, "INGRAM_SANDBOX"),
        timeout=_number(env, "INGRAM_TIMEOUT", 30.0, minimum=0.1),
        rate_limit=_int(env, "INGRAM_RATE_LIMIT", 60, minimum=1),
        windows_enforced=not _bool(env, "ORDERBOT_IGNORE_WINDOWS"),
    )


def load_slack(env: Mapping[str, str] | None = None, *, signing: bool = True) -> SlackSettings:
    """The Slack section; raises ``ConfigError`` naming the first bad variable.

    ``signing=False`` is for commands that post to Slack but take no requests from it
    (``orderbot poll --once``): the signing secret is then optional.
    """
    env = os.environ if env is None else env
    bot_token = _required(
        env,
        "SLACK_BOT_TOKEN",
        "set it to the app's Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
    )
    if not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    signing_secret = (
        _required(
            env,
            "SLACK_SIGNING_SECRET",
            "set it to the Signing Secret from the app's Basic Information",
        )
        if signing
        else _get(env, "SLACK_SIGNING_SECRET")
    )
    app_token = _get(env, "SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp-"
            " (or unset for HTTP mode)"
        )
    api_url = _url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL)
    if not api_url.endswith("/"):
        api_url += "/"
    return SlackSettings(
        bot_token=Secret(bot_token),
        signing_secret=Secret(signing_secret),
        app_token=Secret(app_token) if app_token else None,
        api_url=api_url,
    )


def load_bot(env: Mapping[str, str] | None = None) -> BotSettings:
    """orderbot's own section; every variable has a default."""
    env = os.environ if env is None else env
    allowed_raw = _get(env, "ORDERBOT_DELETE_ALLOWED")
    allowed = frozenset(u.strip().upper() for u in allowed_raw.split(",") if u.strip())
    bad = sorted(u for u in allowed if not re.fullmatch(r"[UW][0-9A-Z]{2,}", u))
    if bad:
        raise ConfigError(
            f"ORDERBOT_DELETE_ALLOWED has {', '.join(bad)}, which is not a Slack user ID; use IDs"
            " such as U012ABCDEF (profile > More > Copy member ID), separated by commas"
        )
    log_format = (_get(env, "ORDERBOT_LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError(f"ORDERBOT_LOG_FORMAT={log_format!r} must be text or json")
    log_level = (_get(env, "ORDERBOT_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"ORDERBOT_LOG_LEVEL={log_level!r} must be DEBUG, INFO, WARNING or ERROR")
    return BotSettings(
        db_path=Path(_get(env, "ORDERBOT_DB") or "orderbot.db"),
        delete_allowed=allowed,
        poll_interval=_number(env, "ORDERBOT_POLL_INTERVAL", 300.0, minimum=0),
        lookback_days=_int(env, "ORDERBOT_LOOKBACK_DAYS", 30, minimum=1),
        rules_path=Path(_get(env, "ORDERBOT_RULES") or "rules"),
        rules_given=bool(_get(env, "ORDERBOT_RULES")),
        log_format=log_format,
        log_level=log_level,
        port=_int(env, "ORDERBOT_PORT", 3000, minimum=0),
        health_port=_int(env, "ORDERBOT_HEALTH_PORT", 8081, minimum=0),
    )


@dataclass(frozen=True)
class Settings:
    """All three sections, as ``serve`` needs them."""

    ingram: IngramSettings
    slack: SlackSettings
    bot: BotSettings

    def secrets(self) -> list[str]:
        """Every secret value, for the log redactor."""
        slack = [self.slack.bot_token, self.slack.signing_secret]
        if self.slack.app_token is not None:
            slack.append(self.slack.app_token)
        values = [self.ingram.client_id, self.ingram.client_secret, *(s.reveal() for s in slack)]
        return [value for value in values if value]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Every section; raises ``ConfigError`` naming the first bad variable."""
    env = os.environ if env is None else env
    return Settings(ingram=load_ingram(env), slack=load_slack(env), bot=load_bot(env))
