"""The demo session: reads what the user types, drives the Slack stand-in and the sandbox.

``Demo`` carries out one line at a time (a slash command, a button press, a change of user, a
pause); ``run_demo`` starts the world, shows the banner and feeds ``Demo`` the lines of
``prompt.read_lines`` until the input ends. What the bot posts is shown by ``render``, in
colour on a terminal. In a terminal, Ctrl-C while a line is being carried out (a long
``wait``) stops that line and gives the prompt back; at the prompt it ends the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import httpx
from rich.console import Console
from rich.text import Text

from bot.clock import utc_now
from bot.demo.prompt import read_lines, shared_terminal
from bot.demo.render import can_encode_emoji, colour_wanted, console, render_message
from bot.sandbox.ingram import default_scenario
from bot.sandbox.slack import Message, SlackRequestResult
from bot.sandbox.world import SandboxWorld
from bot.slack.commands.parsing import Help, parse_command
from bot.watch.rules_loading import load_rules

HELP = """\
Type what a Slack user would:
  /order 20-RD12H            an order with every shipment (try 20-MX14B: 14 shipments)
  /order 20-RD12H-11         the order of a shipment, that shipment highlighted
  /order po CUSTPO           every order with a customer PO
  /order delete 20-11852     a deletable order: then  press Delete order  (or  press Cancel)
  /order delete 20-REL01     a released order, which cannot be deleted
  /order holds [CODE]        what is on hold now      /order status   the hold watcher
  /order help                the bot's own help
  (the demo has only /order, so  20-RD12H  or  po CUSTPO  alone work too)
and, to drive the demo:
  press <button>             press a button of the last message that has buttons
                             (a long answer comes in pages:  press Next,  press Previous;
                             on an order's card:  press I'm on it,  press Refresh)
  as alice | as bob          act as alice (may delete) or bob (may not)
  wait <seconds>             let time pass: the sandbox moves holds, alerts appear
  metrics                    orderbot's own lines of its /metrics page (Prometheus's format)
  help                       this text
  quit                       leave (so do Ctrl-D and Ctrl-C at the prompt, or the input's end)
At the prompt: arrows edit the line, Up/Down and Ctrl-R go through history, Tab completes."""

#: Words Tab completes at the prompt.
WORDS = (
    "/order", "/order po", "/order delete", "/order holds", "/order status", "/order help",
    "press Delete order", "press Cancel", "press Share in channel", "press Next",
    "press Previous", "press I'm on it", "press Refresh", "as alice", "as bob",
    "wait 20", "wait 45", "metrics", "help", "quit",
)  # fmt: skip
#: The first words of the /order commands other than a lookup.
ORDER_WORDS = ("po", "po:", "delete", "holds", "status")
#: The longest ``wait``.
MAX_WAIT = 3600.0

USERS = {"alice": ("U0ALICE", "alice"), "bob": ("U0BOB", "bob")}
REPLY_TIMEOUT = 60.0


class Demo:
    """Reads commands, sends them through the Slack stand-in, prints what the bot posts."""

    def __init__(
        self,
        world: SandboxWorld,
        out: TextIO | None = None,
        scenario_every: float = 20.0,
        *,
        terminal: Console | None = None,
    ) -> None:
        self.world = world
        self.scenario_every = scenario_every
        self.console = terminal or console(out, colour=False)
        self.emoji = can_encode_emoji(out or sys.stdout)
        self.user = world.user(*USERS["alice"])
        world.slack.on_message.append(self._show)

    def say(self, text: str | Text) -> None:
        self.console.print(text)
        self.console.file.flush()

    def _show(self, message: Message) -> None:
        text = render_message(message, emoji=self.emoji)
        if text is not None:
            self.say(text)

    def banner(self) -> None:
        world = self.world
        rules = load_rules(Path(world.settings.bot.rules_path))
        channels = sorted({r.channel for r in rules})
        self.say(
            "orderbot demo: nothing here talks to Slack or Ingram Micro.\n"
            f"  Ingram sandbox  {world.ingram.url} (customer 20-123456, UK, seeded orders;"
            f" holds change every {self.scenario_every:g} s)\n"
            f"  Slack stand-in  prints every message orderbot posts\n"
            f"  hold watcher    polls every {world.settings.bot.poll_interval:g} s;"
            f" {len(rules)} rules post to {', '.join(channels)}\n"
            f"  metrics         {world.bot.url}/metrics\n"
            "Type help for the commands."
        )

    async def handle(self, line: str) -> bool:
        """Carry out one line; False when the demo should end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in ("quit", "exit"):
            return False
        if word == "help":
            self.say(HELP)
        elif word == "metrics":
            await self._metrics()
        elif word.startswith("/"):
            await self._command(word, rest.strip())
        elif word in ORDER_WORDS or not isinstance(parse_command(line), Help):
            self.say(Text(f"(as /order {line})", style="dim"))
            await self._command("/order", line)
        elif word == "press":
            await self._press(rest.strip())
        elif word == "as":
            self._become(rest.strip().lower())
        elif word == "wait":
            await self._wait(rest.strip())
        else:
            self.say(f"? {line!r} is not a command here. Type help.")
        return True

    async def _metrics(self) -> None:
        """Scrape the bot's ``/metrics`` as Prometheus would, and show orderbot's own samples
        (not the comments, histogram buckets or process figures)."""
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{self.world.bot.url}/metrics")
        lines = [line for line in response.text.splitlines() if _worth_showing(line)]
        self.say(Text("\n".join(lines)))

    async def _command(self, command: str, text: str) -> None:
        if command != "/order":
            self.say(f"? orderbot only has /order (not {command}). Type help.")
            return
        result = await self.user.command(command, text)
        if result.status != 200:
            self.say(f"? Slack would show an error: the app answered HTTP {result.status}.")
            return
        if result.ack_message is None:
            await self._reply(result)

    async def _press(self, label: str) -> None:
        if not label:
            self.say("? press what? e.g. press Delete order")
            return
        message = next((m for m in reversed(self.world.slack.messages) if m.buttons()), None)
        if message is None:
            self.say("? no message has buttons yet")
            return
        try:
            button = message.button(label)
        except LookupError:
            names = ", ".join(b.label for b in message.buttons())
            self.say(f"? message {message.id} has no button {label!r}; it has: {names}")
            return
        result = await self.user.press(message, button.action_id)
        if result is None:
            return
        if (
            message.kind in ("post", "update")
            and message.ts
            and button.action_id.startswith("hold_")
        ):
            await self._card_changed(message)
            return
        await self._reply(result)

    async def _card_changed(self, card: Message) -> None:
        """A card's button answers nobody in particular: the card is edited for everyone
        (and the thread says so); wait for that edit, or for the presser's own answer."""
        start = len(self.world.slack.messages)
        try:
            await self.world.slack.wait_for(
                lambda m: (m.kind == "update" and m.ts == card.ts) or m.response_url is not None,
                REPLY_TIMEOUT,
                start=start,
            )
        except TimeoutError:
            self.say(f"? the card did not change within {REPLY_TIMEOUT:g} s")

    async def _reply(self, result: SlackRequestResult) -> None:
        try:
            await result.reply(timeout=REPLY_TIMEOUT)
        except TimeoutError:
            self.say(f"? no answer within {REPLY_TIMEOUT:g} s")

    def _become(self, name: str) -> None:
        if name not in USERS:
            self.say(f"? unknown user {name!r}; use alice (may delete) or bob (may not)")
            return
        self.user = self.world.user(*USERS[name])
        self.say(f"(you are now {name})")

    async def _wait(self, seconds: str) -> None:
        try:
            delay = float(seconds)
        except ValueError:
            delay = -1.0
        if not 0 < delay <= MAX_WAIT:
            self.say(f"? wait how many seconds? e.g. wait 30 (more than 0, at most {MAX_WAIT:g})")
            return
        await asyncio.sleep(delay)


def _worth_showing(line: str) -> bool:
    return not line.startswith(("#", "orderbot_process_")) and "_bucket{" not in line


def demo_world(
    *, poll_interval: float = 5.0, scenario_every: float = 20.0, rules: Path | None = None
) -> SandboxWorld:
    """The demo's world: seeded emulator whose scenario moves holds every ``scenario_every``
    seconds, the poller every ``poll_interval`` seconds, the shipped rules (or ``rules``)."""
    options = {"rules": rules} if rules is not None else {}
    world = SandboxWorld(poll_interval=poll_interval, **options)
    world.state.scenario = default_scenario(utc_now(), timedelta(seconds=scenario_every))
    return world


async def run_demo(
    *,
    poll_interval: float = 5.0,
    scenario_every: float = 20.0,
    rules: Path | None = None,
) -> int:
    """Run the demo until the input ends, says quit, or Ctrl-C at the prompt; returns the exit
    status (0). Interactive when both standard input and output are a terminal."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    world = demo_world(poll_interval=poll_interval, scenario_every=scenario_every, rules=rules)
    # None: the console writes to whatever sys.stdout is, which the prompt takes over.
    terminal = console(None, colour=colour_wanted(sys.stdout))
    async with world:
        demo = Demo(world, sys.stdout, scenario_every, terminal=terminal)
        with shared_terminal(interactive):
            demo.banner()
            async for line in read_lines(interactive, WORDS):
                if not interactive and line.strip():
                    demo.say(Text(f"\n> {line.strip()}", style="bold"))
                more = (
                    await interruptible(demo.handle(line), demo)
                    if interactive
                    else await demo.handle(line)
                )
                if not more:
                    break
    return 0


async def interruptible(line: Coroutine[Any, Any, bool], demo: Demo) -> bool:
    """Carry out a line; Ctrl-C (SIGINT: the prompt is not on screen) stops it and gives the
    prompt back instead of ending the demo."""
    task = asyncio.ensure_future(line)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
        demo.say(Text("(interrupted)", style="dim"))
        return True
    finally:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)
