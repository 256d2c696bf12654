"""``orderbot demo`` in a real terminal (a pseudo-terminal, as a person's): line editing and
history, the prompt drawn again after an alert arrives while the user types, Ctrl-C that ends
the demo at the prompt and stops a long ``wait`` otherwise, colour unless ``NO_COLOR``."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator

import pexpect
import pytest

from tests.cli.test_cli import ROOT

SGR = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|38;5;\d+|9[0-7])m")
LEFT, UP, CTRL_C, CTRL_D = "\x1b[D", "\x1b[A", "\x03", "\x04"


class Terminal:
    """The demo on a pseudo-terminal; ``expect`` reads the screen's text (escapes removed)."""

    def __init__(self, *args: str, **env: str) -> None:
        environment = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("INGRAM_", "ORDERBOT_", "SLACK_")) and k != "NO_COLOR"
        }
        # A terminal that answers no cursor position request: prompt_toolkit need not wait.
        environment.update(TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", **env)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot", "demo", *args],
            cwd=str(ROOT),
            env=environment,
            encoding="utf-8",
            timeout=30,
            dimensions=(50, 200),
        )
        self.raw = ""
        self._seen = 0  # how much of the screen's text earlier expects went past
        self._raw_seen = 0

    def expect(self, text: str, timeout: float = 30) -> str:
        """Read until ``text`` shows on screen after what earlier calls found; returns the
        output read since the last call (escapes kept)."""
        deadline = time.monotonic() + timeout
        while (found := SGR.sub("", self.raw).find(text, self._seen)) < 0:
            if time.monotonic() > deadline:
                break
            try:
                self.raw += self.child.read_nonblocking(4096, timeout=0.2)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                break
        screen = SGR.sub("", self.raw)
        assert found >= 0, f"{text!r} not shown; the screen:\n{screen[self._seen :][-3000:]}"
        self._seen = found + len(text)
        seen, self._raw_seen = self.raw[self._raw_seen :], len(self.raw)
        return seen

    def prompt(self) -> str:
        return self.expect("orderbot>")

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def ended(self, timeout: float = 10) -> tuple[int | None, float]:
        began = time.monotonic()
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus, time.monotonic() - began


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    demo = Terminal("--scenario-every", "3", "--poll-interval", "0.3")
    yield demo
    if demo.child.isalive():
        demo.child.terminate(force=True)


def test_line_editing_and_history(terminal: Terminal) -> None:
    terminal.prompt()
    terminal.send("/order 20-RD1H" + LEFT + "2\r")  # the arrow moves, the 2 goes before H
    terminal.expect("# Order 20-RD12H")
    terminal.prompt()
    terminal.send(UP + "\r")  # the same line again, from history
    terminal.expect("[M2]")
    terminal.expect("# Order 20-RD12H")
    terminal.prompt()
    terminal.send(CTRL_D)
    assert terminal.ended()[0] == 0


def test_an_alert_while_typing_redraws_the_prompt_and_the_typed_line(terminal: Terminal) -> None:
    terminal.prompt()
    terminal.send("/order 20-SH0")
    terminal.expect("Credit hold on 20-RD12H-21")  # the scenario places it after 3 s
    terminal.expect("orderbot> /order 20-SH0")  # drawn again below the alert
    terminal.send("01\r")
    terminal.expect("# Order 20-SH001")  # what was typed before the alert was kept
    terminal.prompt()
    terminal.send("quit\r")
    assert terminal.ended()[0] == 0


def test_ctrl_c_at_the_prompt_ends_the_demo_promptly(terminal: Terminal) -> None:
    terminal.prompt()
    terminal.send("/order 20-")
    terminal.send(CTRL_C)
    status, took = terminal.ended()
    assert status == 0 and took < 5


def test_ctrl_c_during_a_wait_gives_the_prompt_back(terminal: Terminal) -> None:
    terminal.prompt()
    terminal.send("wait 600\r")
    time.sleep(0.5)
    terminal.send(CTRL_C)
    terminal.expect("(interrupted)", timeout=5)
    terminal.prompt()
    terminal.send("20-RD12H\r")  # and the demo goes on
    terminal.expect("# Order 20-RD12H")
    terminal.prompt()
    terminal.send(CTRL_C)
    assert terminal.ended()[0] == 0


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
def test_colour_on_a_terminal_unless_no_color(no_color: bool) -> None:
    demo = Terminal(**({"NO_COLOR": "1"} if no_color else {}))
    try:
        demo.prompt()
        demo.send("/order 20-RD12H\r")
        shown = demo.expect("[Share in channel]")
        message = shown[shown.index("[M1]") :]
        assert bool(COLOUR.search(message)) is not no_color
        assert "⛔ hold CH" in SGR.sub("", message) and "*" not in SGR.sub("", message)
        demo.prompt()
        demo.send(CTRL_D)
        assert demo.ended()[0] == 0
    finally:
        if demo.child.isalive():
            demo.child.terminate(force=True)
