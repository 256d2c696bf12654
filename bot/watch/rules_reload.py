"""The rules ``serve`` runs on, and reloading them without a restart.

``RulesInForce`` holds the rules in force, where they came from and when they were loaded.
``serve`` re-reads them on SIGHUP (``request_reload``) and when a file under
``ORDERBOT_RULES`` changes (its contents are compared every ``check_interval`` seconds, so an
editor's save, a ``git pull`` or a ConfigMap update is seen, and a ``touch`` is not).

Valid rules replace the old ones (``on_reload`` hands them to the poller, which uses them from
its next poll) and the log says "rules reloaded: N rules from PATH". Invalid rules are refused
with the lines ``orderbot rules check`` prints (file, rule, field); the last good rules stay
in force and ``refusal`` keeps the problems, for ``/order status``, until a good version loads.

Reading and hashing the files and parsing the YAML run in a worker thread; the loop only
waits on the monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock, utc_now
from bot.tasks import cancel
from bot.watch.rules import RuleSet
from bot.watch.rules_loading import RulesError, load_rules

log = logging.getLogger("orderbot.rules")

#: Seconds between two looks at the rules files, by default.
CHECK_INTERVAL = 5.0


@dataclass(frozen=True)
class Refusal:
    """Rules that were refused: when, and every problem, as ``rules check`` says them."""

    at: datetime
    problems: tuple[str, ...]


def fingerprint(path: Path) -> tuple[tuple[str, str], ...]:
    """What the rules at ``path`` are made of: each ``*.yaml`` file (or the one file) with a
    hash of its contents; a missing or unreadable file is part of it too. Blocking: run it in
    a thread."""
    files = sorted(p for p in path.glob("*.yaml") if p.is_file()) if path.is_dir() else [path]
    parts: list[tuple[str, str]] = []
    for file in files:
        try:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            digest = f"unreadable: {exc.strerror or exc}"
        parts.append((file.name, digest))
    return tuple(parts)


def _read(path: Path) -> tuple[tuple[tuple[str, str], ...], RuleSet | RulesError]:
    """The fingerprint, then the rules (or why they were refused): a change in between, such
    as a file still being written when it was read, shows at the next look. Taking the
    fingerprint after a refusal would record the finished file as already refused, and it
    would never be loaded."""
    files = fingerprint(path)
    try:
        return files, load_rules(path)
    except RulesError as exc:
        return files, exc


class RulesInForce:
    """The rules ``serve`` uses. Build it with ``await RulesInForce.load(path)`` (which raises
    ``RulesError``: serve refuses to start on invalid rules), then ``start`` watching."""

    def __init__(
        self,
        path: Path,
        ruleset: RuleSet,
        files: tuple[tuple[str, str], ...],
        *,
        clock: Clock = utc_now,
        check_interval: float = CHECK_INTERVAL,
        on_reload: Callable[[RuleSet], None] | None = None,
    ) -> None:
        self.path = path
        self.ruleset = ruleset
        self.clock = clock
        self.check_interval = check_interval
        self.on_reload = on_reload
        #: When the rules in force were loaded.
        self.loaded_at = clock()
        #: The latest refusal, until a good version loads (then None).
        self.refusal: Refusal | None = None
        #: How many times the rules were reloaded (a good version replaced them).
        self.reloads = 0
        #: How many looks at the files (or SIGHUPs) the watching task has done.
        self.checks = 0
        self._files = files
        self._asked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def load(
        cls,
        path: Path,
        *,
        clock: Clock = utc_now,
        check_interval: float = CHECK_INTERVAL,
        on_reload: Callable[[RuleSet], None] | None = None,
    ) -> RulesInForce:
        """The rules at ``path``, read in a thread. Raises ``RulesError`` when they are
        invalid."""
        files, ruleset = await asyncio.to_thread(_read, path)
        if isinstance(ruleset, RulesError):
            raise ruleset
        return cls(
            path, ruleset, files, clock=clock, check_interval=check_interval, on_reload=on_reload
        )

    @property
    def count(self) -> int:
        """How many rules are in force."""
        return len(self.ruleset)

    @property
    def source(self) -> str:
        """Where the rules in force came from, as the log and ``/order status`` name it."""
        return str(self.path) + ("/" if self.path.is_dir() else "")

    # --- reloading -------------------------------------------------------------------------

    def request_reload(self) -> None:
        """Re-read the rules soon, changed or not (SIGHUP)."""
        self._asked.set()

    async def reload(self, why: str = "asked") -> bool:
        """Re-read the rules now. True when a good version was loaded (and replaced the rules
        in force); False when they were refused (the rules in force stay)."""
        files, ruleset = await asyncio.to_thread(_read, self.path)
        if isinstance(ruleset, RulesError):
            self._refuse(ruleset.problems, files)
            return False
        self._files = files
        self.ruleset = ruleset
        self.loaded_at = self.clock()
        self.refusal = None
        self.reloads += 1
        log.info("rules reloaded: %d rules from %s (%s)", len(ruleset), self.source, why)
        if self.on_reload is not None:
            self.on_reload(ruleset)
        return True

    def _refuse(self, problems: list[str], files: tuple[tuple[str, str], ...]) -> None:
        self._files = files  # the same broken files are not refused again at every look
        self.refusal = Refusal(self.clock(), tuple(problems))
        log.warning(
            "rules refused: %d problem(s) in %s; the %d rules loaded at %s stay in force",
            len(problems),
            self.source,
            self.count,
            self.loaded_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
        for problem in problems:
            log.warning("rules refused: %s", problem)

    # --- watching --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the watching task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Watch for SIGHUP and, every ``check_interval`` seconds (0: never), for a change."""
        if not self.running:
            self._task = asyncio.create_task(self._watch(), name="orderbot-rules")

    async def stop(self) -> None:
        """Stop watching."""
        task, self._task = self._task, None
        await cancel(task)

    async def _watch(self) -> None:
        timeout = self.check_interval if self.check_interval > 0 else None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._asked.wait(), timeout)
            asked = self._asked.is_set()
            self._asked.clear()
            try:
                if asked:
                    await self.reload("SIGHUP")
                elif await asyncio.to_thread(fingerprint, self.path) != self._files:
                    await self.reload("the files changed")
            except Exception:  # a bug, not bad rules (those are refused): keep watching
                log.exception("checking the rules failed; trying again")
            self.checks += 1
