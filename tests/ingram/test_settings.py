"""The client's own settings, and the client usable on its own (nothing of the bot above it)."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.ingram.settings import IngramSettings

#: What ``bot.ingram`` may import of the project besides itself: the lowest layer.
LOWEST_LAYER = {"bot", "bot.clock", "bot.headers", "bot.log"}


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


def test_the_client_imports_nothing_above_the_lowest_layer() -> None:
    code = (
        "import json, sys, bot.ingram, bot.ingram.client; "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'bot' or m.startswith('bot.'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(run.stdout))
    outside = sorted(m for m in loaded - LOWEST_LAYER if not m.startswith("bot.ingram"))
    assert outside == [], f"bot.ingram imports {outside}"
