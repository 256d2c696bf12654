"""``orderbot demo``: the whole bot on embedded defaults, with no Slack or Ingram account.

It starts the Ingram sandbox emulator with its seeded orders and its scenario clock (holds go
on and off every 20 s by default), a temporary database, the shipped rules, the poller on a short
interval, and a Slack stand-in that prints every message orderbot would post. Commands come
from standard input, as a Slack user would type them; at the end of the input it exits 0::

    printf '/order 20-RD12H\\n' | orderbot demo
"""

from bot.demo.session import Demo, demo_world, run_demo

__all__ = ["Demo", "demo_world", "run_demo"]
