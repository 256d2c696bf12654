"""Where the demo's input comes from: standard input, a line at a time.

In a terminal it is a prompt (``orderbot> ``); piped, the lines are read as they come. Either
way the event loop is never blocked: the bot, the poller and the stand-ins run while it waits.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

PROMPT = "orderbot> "


async def read_lines(interactive: bool) -> AsyncIterator[str]:
    """Lines of standard input without blocking the event loop: after a prompt when
    ``interactive``, as they arrive when piped."""
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, PROMPT)
            except EOFError:
                return
        else:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
        yield line
