"""The client's own settings: plain values, credentials out of sight."""

from __future__ import annotations

from bot.ingram.settings import IngramSettings


def test_the_credentials_never_show() -> None:
    settings = IngramSettings("app-id", "very-secret", "20-123456", "UK")
    text = repr(settings) + str(settings)
    assert "app-id" not in text and "very-secret" not in text
    assert "20-123456" in text


def test_the_urls_follow_the_base_url_and_the_sandbox_flag() -> None:
    live = IngramSettings("id", "secret", "20-123456", "UK", base_url="https://api.example/")
    assert live.token_url == "https://api.example/oauth/oauth30/token"
    assert live.api_root == "https://api.example/resellers/v5"
    sandbox = IngramSettings("id", "secret", "20-123456", "UK", sandbox=True)
    assert sandbox.api_root == "https://api.ingrammicro.com/sandbox/resellers/v5"
