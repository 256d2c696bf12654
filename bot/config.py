"""Every setting orderbot reads, from the environment, validated in one place.

Each part loads only the section it needs (``lookup`` needs Ingram settings, ``serve`` needs
all three), and missing or malformed variables raise one ``ConfigError`` naming every one of
them (not only the first) and saying what a good value looks like. Slack's secrets are
wrapped in ``Secret`` and Ingram's are left out of ``IngramSettings``' repr, so that no repr,
log line or error message can show them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ingram import COUNTRIES, IngramSettings, normalize_country
from bot.ingram import DEFAULT_BASE_URL as DEFAULT_INGRAM_BASE_URL
from bot.variables import DEFAULT_SLACK_API_URL, VARIABLES, Variable

__all__ = ["VARIABLES", "Variable"]  # the table every setting is documented in

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class ConfigError(Exception):
    """Settings are missing or malformed: ``problems`` has one line for each, naming the
    variable (the message is those lines)."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


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
    timeout: float = 10.0

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
    #: Seconds between serve's looks at the rules files for a change (0: only on SIGHUP).
    rules_check: float = 5.0
    log_format: str = "text"
    log_level: str = "INFO"
    port: int = 3000
    health_port: int = 8081
    lease_seconds: float = 30.0
    retention_days: int = 90
    audit_retention_days: int = 400

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


class _Env:
    """Reads variables, collecting every problem instead of stopping at the first, so that a
    person fixes them all in one go: each read returns a stand-in value when the variable is
    bad, and ``done`` raises one ``ConfigError`` listing them all."""

    def __init__(self, env: Mapping[str, str] | None) -> None:
        self.env = os.environ if env is None else env
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def done(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

    def get(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def required(self, name: str, hint: str) -> str:
        value = self.get(name)
        if not value:
            self.problem(f"{name} is not set: {hint}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.get(name).lower()
        if raw == "" and name not in self.env:
            return default
        if raw in _TRUE:
            return True
        if raw not in _FALSE:
            self.problem(f"{name}={raw!r} is not a boolean: use 1 or 0")
        return False

    def number(self, name: str, default: float, *, minimum: float) -> float:
        raw = self.get(name)
        if raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            self.problem(f"{name}={raw!r} is not a number")
            return default
        if value < minimum:
            self.problem(f"{name}={raw!r} must be at least {minimum:g}")
            return default
        return value

    def whole(self, name: str, default: int, *, minimum: int) -> int:
        value = self.number(name, default, minimum=minimum)
        if value != int(value):
            self.problem(f"{name}={self.get(name)!r} must be a whole number")
            return default
        return int(value)

    def url(self, name: str, default: str) -> str:
        raw = self.get(name) or default
        if not re.match(r"^https?://[^/\s]+", raw):
            self.problem(f"{name}={raw!r} is not an http(s) URL")
            return default
        return raw


def load_ingram(env: Mapping[str, str] | None = None) -> IngramSettings:
    """The Ingram section; raises ``ConfigError`` naming every bad variable."""
    e = _Env(env)
    client_id = e.required("INGRAM_CLIENT_ID", "set it to the App ID of your Ingram Micro app")
    client_secret = e.required(
        "INGRAM_CLIENT_SECRET", "set it to the Shared Secret of your Ingram Micro app"
    )
    customer = e.required(
        "INGRAM_CUSTOMER_NUMBER", "set it to your Ingram Micro customer number, e.g. 20-123456"
    ).upper()
    if customer and not re.fullmatch(r"[0-9A-Z]{2}-[0-9A-Z]{3,10}", customer):
        e.problem(
            f"INGRAM_CUSTOMER_NUMBER={customer!r} does not look like an Ingram Micro customer"
            " number such as 20-123456"
        )
    country_raw = e.required("INGRAM_COUNTRY", "set it to your account's country code, e.g. UK")
    country = normalize_country(country_raw)
    if country_raw and country not in COUNTRIES:
        e.problem(
            f"INGRAM_COUNTRY={country_raw!r} is not a country Ingram's order APIs serve;"
            f" use one of {', '.join(COUNTRIES)}"
        )
    settings = IngramSettings(
        client_id=client_id,
        client_secret=client_secret,
        customer_number=customer,
        country=country,
        base_url=e.url("INGRAM_BASE_URL", DEFAULT_INGRAM_BASE_URL).rstrip("/"),
        sandbox=e.flag("INGRAM_SANDBOX"),
        timeout=e.number("INGRAM_TIMEOUT", 30.0, minimum=0.1),
        rate_limit=e.whole("INGRAM_RATE_LIMIT", 60, minimum=1),
        windows_enforced=not e.flag("ORDERBOT_IGNORE_WINDOWS"),
    )
    e.done()
    return settings


def load_slack(env: Mapping[str, str] | None = None, *, signing: bool = True) -> SlackSettings:
    """The Slack section; raises ``ConfigError`` naming every bad variable.

    ``signing=False`` is for commands that post to Slack but take no requests from it
    (``orderbot poll --once``): the signing secret is then optional.
    """
    e = _Env(env)
    bot_token = e.required(
        "SLACK_BOT_TOKEN",
        "set it to the app's Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
    )
    if bot_token and not bot_token.startswith("xoxb-"):
        e.problem("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    signing_secret = (
        e.required(
            "SLACK_SIGNING_SECRET", "set it to the Signing Secret from the app's Basic Information"
        )
        if signing
        else e.get("SLACK_SIGNING_SECRET")
    )
    app_token = e.get("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        e.problem(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp-"
            " (or unset for HTTP mode)"
        )
    api_url = e.url("SLACK_API_URL", DEFAULT_SLACK_API_URL)
    if not api_url.endswith("/"):
        api_url += "/"
    timeout = e.number("SLACK_TIMEOUT", 10.0, minimum=0.1)
    e.done()
    return SlackSettings(
        bot_token=Secret(bot_token),
        signing_secret=Secret(signing_secret),
        app_token=Secret(app_token) if app_token else None,
        api_url=api_url,
        timeout=timeout,
    )


def load_bot(env: Mapping[str, str] | None = None) -> BotSettings:
    """orderbot's own section; every variable has a default. Raises ``ConfigError`` naming
    every malformed one."""
    e = _Env(env)
    allowed_raw = e.get("ORDERBOT_DELETE_ALLOWED")
    allowed = frozenset(u.strip().upper() for u in allowed_raw.split(",") if u.strip())
    bad = sorted(u for u in allowed if not re.fullmatch(r"[UW][0-9A-Z]{2,}", u))
    if bad:
        e.problem(
            f"ORDERBOT_DELETE_ALLOWED has {', '.join(bad)}, which is not a Slack user ID; use IDs"
            " such as U012ABCDEF (profile > More > Copy member ID), separated by commas"
        )
    log_format = (e.get("ORDERBOT_LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        e.problem(f"ORDERBOT_LOG_FORMAT={log_format!r} must be text or json")
    log_level = (e.get("ORDERBOT_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        e.problem(f"ORDERBOT_LOG_LEVEL={log_level!r} must be DEBUG, INFO, WARNING or ERROR")
    settings = BotSettings(
        db_path=Path(e.get("ORDERBOT_DB") or "orderbot.db"),
        delete_allowed=allowed,
        poll_interval=e.number("ORDERBOT_POLL_INTERVAL", 300.0, minimum=0),
        lookback_days=e.whole("ORDERBOT_LOOKBACK_DAYS", 30, minimum=1),
        rules_path=Path(e.get("ORDERBOT_RULES") or "rules"),
        rules_given=bool(e.get("ORDERBOT_RULES")),
        rules_check=e.number("ORDERBOT_RULES_CHECK", 5.0, minimum=0),
        log_format=log_format,
        log_level=log_level,
        port=e.whole("ORDERBOT_PORT", 3000, minimum=0),
        health_port=e.whole("ORDERBOT_HEALTH_PORT", 8081, minimum=0),
        lease_seconds=e.number("ORDERBOT_LEASE_SECONDS", 30.0, minimum=1.0),
        retention_days=e.whole("ORDERBOT_RETENTION_DAYS", 90, minimum=1),
        audit_retention_days=e.whole("ORDERBOT_AUDIT_RETENTION_DAYS", 400, minimum=1),
    )
    e.done()
    return settings


def check_together(slack: SlackSettings, bot: BotSettings) -> None:
    """Settings that are only right together: a post must be over (answered or timed out)
    well before a standby may take the lease over and look for it."""
    if bot.lease_seconds < 2.5 * slack.timeout:
        raise ConfigError(
            f"ORDERBOT_LEASE_SECONDS={bot.lease_seconds:g} must be at least 2.5 times"
            f" SLACK_TIMEOUT={slack.timeout:g}: raise the lease or lower the timeout"
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


def load_settings(env: Mapping[str, str] | None = None, *, signing: bool = True) -> Settings:
    """Every section; raises one ``ConfigError`` naming every bad variable of all three
    (``signing=False``: see ``load_slack``)."""
    env = os.environ if env is None else env
    loaders = (load_ingram, lambda e: load_slack(e, signing=signing), load_bot)
    sections: list[Any] = []
    problems: list[str] = []
    for load in loaders:
        try:
            sections.append(load(env))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    ingram, slack, bot = sections
    check_together(slack, bot)
    return Settings(ingram=ingram, slack=slack, bot=bot)
