"""Settings: every missing or malformed variable is named in the error."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Secret, load_bot, load_ingram, load_settings, load_slack

INGRAM = {
    "INGRAM_CLIENT_ID": "app-id",
    "INGRAM_CLIENT_SECRET": "very-secret",
    "INGRAM_CUSTOMER_NUMBER": "20-123456",
    "INGRAM_COUNTRY": "uk",
}
SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "shh"}
#: What serve needs and has no default for, in the order the problems are reported.
SERVE_NEEDS = [*INGRAM, *SLACK]


def test_ingram_defaults() -> None:
    s = load_ingram(INGRAM)
    assert s.country == "UK"
    assert s.base_url == "https://api.ingrammicro.com"
    assert s.sandbox is False
    assert s.rate_limit == 60
    assert s.windows_enforced is True


@pytest.mark.parametrize("name", list(INGRAM))
def test_a_missing_ingram_variable_is_named(name: str) -> None:
    env = {k: v for k, v in INGRAM.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        load_ingram(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INGRAM_COUNTRY", "XX"),
        ("INGRAM_CUSTOMER_NUMBER", "123"),
        ("INGRAM_BASE_URL", "ftp://x"),
        ("INGRAM_SANDBOX", "maybe"),
        ("INGRAM_TIMEOUT", "soon"),
        ("INGRAM_RATE_LIMIT", "0"),
        ("ORDERBOT_IGNORE_WINDOWS", "2"),
    ],
)
def test_a_malformed_ingram_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_ingram({**INGRAM, name: value})


def test_gb_is_uk_and_sandbox_flag() -> None:
    s = load_ingram({**INGRAM, "INGRAM_COUNTRY": "GB", "INGRAM_SANDBOX": "1"})
    assert (s.country, s.sandbox) == ("UK", True)


def test_secrets_never_show() -> None:
    s = load_settings({**INGRAM, **SLACK})
    text = repr(s) + str(s.ingram) + str(s.slack)
    assert "very-secret" not in text and "app-id" not in text and "shh" not in text
    assert s.ingram.client_secret == "very-secret"
    assert sorted(s.secrets()) == sorted(["app-id", "very-secret", "xoxb-1", "shh"])
    assert repr(Secret("x")) == "Secret('********')"


def test_slack_settings() -> None:
    s = load_slack(SLACK)
    assert s.api_url == "https://slack.com/api/"
    assert not s.socket_mode
    s = load_slack(
        {**SLACK, "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert s.socket_mode
    assert s.api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SLACK_SIGNING_SECRET": "x"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**SLACK, "SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ({**SLACK, "SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
    ],
)
def test_slack_errors_name_the_variable(env: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_slack(env)


def test_bot_defaults_and_parsing() -> None:
    b = load_bot({})
    assert b.poll_interval == 300
    assert b.lookback_days == 30
    assert b.delete_allowed == frozenset()
    assert str(b.rules_path) == "rules"
    b = load_bot(
        {"ORDERBOT_DELETE_ALLOWED": " U012ABCDEF, u0alice ,", "ORDERBOT_POLL_INTERVAL": "0"}
    )
    assert b.delete_allowed == {"U012ABCDEF", "U0ALICE"}
    assert b.poll_interval == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDERBOT_DELETE_ALLOWED", "alice"),
        ("ORDERBOT_POLL_INTERVAL", "-1"),
        ("ORDERBOT_LOOKBACK_DAYS", "1.5"),
        ("ORDERBOT_LOG_FORMAT", "xml"),
        ("ORDERBOT_LOG_LEVEL", "LOUD"),
        ("ORDERBOT_PORT", "http"),
    ],
)
def test_bot_errors_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_bot({name: value})


def test_every_problem_is_reported_at_once() -> None:
    env = {"INGRAM_COUNTRY": "XX", "SLACK_BOT_TOKEN": "xoxp-1", "ORDERBOT_PORT": "http"}
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    named = [problem.split()[0].split("=")[0] for problem in raised.value.problems]
    assert named == [*SERVE_NEEDS, "ORDERBOT_PORT"]
    assert str(raised.value) == "\n".join(raised.value.problems)
