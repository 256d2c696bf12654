"""Where the demo's input comes from, and how its output shares the terminal with the prompt.

In a terminal it is a prompt_toolkit prompt (``orderbot> ``): line editing (arrows, Home/End,
Ctrl-A/E/W/K ...), history (Up/Down, Ctrl-R), Tab completion of the demo's words, and output
that arrives while the user types (an alert) printed above the prompt, which is then redrawn
with what was typed so far (``shared_terminal``). Ctrl-D or Ctrl-C at the prompt ends the
input, so the demo ends as it does at the end of piped input.

Piped, the lines are read as they come, without a thread where the input is a pipe (so that
nothing is left blocked on a read when the demo ends). Either way the event loop is never
blocked: the bot, the poller and the stand-ins run while the demo waits for a line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections.abc import AsyncIterator, Iterable, Iterator

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

PROMPT = "orderbot> "


@contextlib.contextmanager
def shared_terminal(interactive: bool) -> Iterator[None]:
    """While the prompt is on screen, what the demo prints goes above it and the prompt (and
    the partly typed line) is drawn again below. Nothing changes for piped input."""
    if not interactive:
        yield
        return
    with patch_stdout(raw=True):  # raw: the colours of the demo's output pass through
        yield


async def read_lines(interactive: bool, words: Iterable[str] = ()) -> AsyncIterator[str]:
    """Lines of standard input: from a prompt when ``interactive`` (``words`` complete on Tab),
    as they arrive otherwise. Ends at the end of input, Ctrl-D or Ctrl-C."""
    if not interactive:
        async for line in _piped_lines():
            yield line
        return
    session: PromptSession[str] = PromptSession(
        history=InMemoryHistory(),
        completer=WordCompleter(sorted(set(words)), sentence=True),
        complete_while_typing=False,
    )
    while True:
        try:
            line = await session.prompt_async(PROMPT)
        except (EOFError, KeyboardInterrupt):
            return
        yield line


def _is_pipe() -> bool:
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def _piped_lines() -> AsyncIterator[str]:
    if not _is_pipe():  # a file, /dev/null or a terminal: a thread reads it (and a terminal
        # keeps its blocking mode, which the shell that started the demo shares)
        while line := await asyncio.to_thread(sys.stdin.readline):
            yield line
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _protocol = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        while data := await reader.readline():
            yield data.decode(sys.stdin.encoding or "utf-8", errors="replace")
    finally:
        transport.close()
