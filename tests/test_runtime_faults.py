"""The fault table, row by row, as an operator meets it: ``orderbot serve`` as a real process,
the Ingram emulator and the Slack stand-in on loopback, one fault, and every alert reaching
Slack exactly once (0 lost, 0 duplicated).

Slack's rows: a post Slack took and then the connection dropped, a post Slack took and then
no answer past SLACK_TIMEOUT, a 200 that is a proxy's HTML page. The store's rows: the
database read-only (``chattr +i``) and the disk full (a small tmpfs), each starting at the
very moment Slack takes a post, so that the delivery cannot be recorded. Each row prints its
line of the table (``pytest -s`` shows them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.sandbox.slack import Message
from tests.serving import Serve, Site, site, until


def readbacks(s: Site) -> int:
    calls = s.slack.calls_to("conversations.history") + s.slack.calls_to("conversations.replies")
    return len(calls)


async def started(s: Site) -> tuple[Serve, list[str]]:
    serve = await s.serve().start()
    await until(s.baseline_done, 15, "no baseline poll")
    return serve, await s.warm_up()


async def finish(s: Site, serve: Serve, changes: list[str], fault: str) -> None:
    await until(lambda: s.delivered(s.changes.made), 30, f"{fault}: not all delivered")
    assert await serve.stop() == 0
    result = s.tally(changes)
    print(result.row(fault))
    assert (result.lost, result.duplicated, result.digests) == ([], {}, 0), serve.log
    assert s.tally().duplicated == {}  # the warm-up's alerts too
    assert "Traceback" not in serve.log


# --- Slack ------------------------------------------------------------------------------------


async def test_slack_takes_the_post_then_the_connection_drops(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        serve, _warm = await started(s)
        s.slack.fail("chat.postMessage", mode="drop", times=2)
        changes = [s.changes.next("credit"), s.changes.next("sales")]
        await finish(s, serve, changes, "Slack receives the post, then the connection drops (x2)")
        assert readbacks(s) == 2  # one look for each post in doubt


async def test_slack_takes_the_post_then_hangs_past_the_timeout(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        serve, _warm = await started(s)
        s.slack.fail("chat.postMessage", mode="hang", hang=30, times=3)
        changes = [s.changes.next() for _ in range(3)]
        await finish(
            s, serve, changes, "Slack receives the post, then hangs past the client timeout"
        )
        assert readbacks(s) == 3


async def test_slack_answers_200_with_a_proxys_html_page(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        serve, _warm = await started(s)
        # Twice the proxy never reached Slack; once Slack had the post before the proxy failed.
        s.slack.fail("chat.postMessage", mode="html", record=False, times=2)
        s.slack.fail("chat.postMessage", mode="html", record=True, times=1)
        changes = [s.changes.next() for _ in range(3)]
        await finish(s, serve, changes, "Slack answers 200 with an HTML body (a proxy error page)")
        dead = [m for m in serve.lines if "dead letter" in m]
        assert dead == []  # transient, never a dead letter


# --- the store --------------------------------------------------------------------------------


def immutable(paths: list[Path], on: bool) -> None:
    """``chattr +i`` (or ``-i``) the database and its WAL: every write then fails with an
    I/O error, as on a file or disk gone read-only. (The -shm file stays: SQLite maps it
    into memory, and an immutable mapping kills the process with SIGBUS.)"""
    flag = "+i" if on else "-i"
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


def can_chattr(folder: Path) -> str | None:
    """Why ``chattr +i`` cannot be used here (None when it can)."""
    if shutil.which("chattr") is None:
        return "no chattr command"
    probe = folder / "chattr-probe"
    probe.write_text("x")
    try:
        immutable([probe], True)
        immutable([probe], False)
    except subprocess.CalledProcessError as exc:
        return f"chattr +i is not allowed here ({exc.stderr.decode().strip() or 'needs root'})"
    finally:
        probe.unlink()
    return None


async def store_fault_row(
    s: Site, fault: str, start: Callable[[], object], end: Callable[[], object], reason: str
) -> None:
    """Five alerts; the fault starts when Slack takes the first of them and ends 3 s later."""
    serve, _warm = await started(s)
    began: list[bool] = []

    def first_post(message: Message) -> None:  # Slack has the post: its record must fail
        if not began:
            start()
            began.append(True)

    s.slack.on_message.append(first_post)
    changes = [s.changes.next() for _ in range(5)]
    try:
        await until(lambda: bool(began), 15, "no post was made")

        async def store_unhealthy() -> bool:
            status, body = await serve.healthz()
            return status == 503 and "store" in body["unhealthy"]

        await until(store_unhealthy, 5, "/healthz did not name the store")  # within seconds
        _status, body = await serve.healthz()
        assert reason in body["parts"]["store"]["detail"]
        await asyncio.sleep(3)  # the fault lasts: nothing is posted twice meanwhile
    finally:
        s.slack.on_message.clear()
        end()

    async def healthy() -> bool:
        status, _body = await serve.healthz()
        return status == 200

    await until(healthy, 10, "/healthz did not recover")
    failed = [line for line in serve.lines if "cannot be written" in line]
    assert len(failed) == 1, failed  # said once, not every second
    assert any("takes writes again" in line for line in serve.lines)
    await finish(s, serve, changes, fault)


async def test_the_database_read_only_for_a_while(tmp_path: Path) -> None:
    why = can_chattr(tmp_path)
    if why:
        pytest.skip(f"the read-only database needs chattr +i: {why}")
    async with site(tmp_path) as s:
        files = [s.db, Path(f"{s.db}-wal")]
        try:
            await store_fault_row(
                s,
                "database read-only for 3 s (chattr +i)",
                lambda: immutable(files, True),
                lambda: immutable(files, False),
                "disk I/O error",
            )
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                immutable(files, False)


@contextlib.contextmanager
def small_disk(folder: Path, mib: int = 16) -> Iterator[Path]:
    """A ``mib`` MiB tmpfs mounted at ``folder`` (root, and a kernel that lets us mount)."""
    folder.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={mib}m", "tmpfs", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        block = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                out.write(block)
                out.flush()
        with contextlib.suppress(OSError):
            while True:  # the last few bytes
                out.write(b"\0" * 512)
                out.flush()
    return filler


def can_mount() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


async def test_the_disk_full_for_a_while(tmp_path: Path) -> None:
    why = can_mount()
    if why:
        pytest.skip(f"the full disk is a small tmpfs: {why}")
    try:
        disk_cm = small_disk(tmp_path / "disk")
        disk = disk_cm.__enter__()
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"the full disk is a small tmpfs, which cannot be mounted here: {exc}")
    try:
        async with site(tmp_path, db=disk / "orderbot.db") as s:
            fillers: list[Path] = []

            def start() -> None:
                fillers.append(fill(disk))

            def end() -> None:
                for filler in fillers:
                    filler.unlink(missing_ok=True)

            await store_fault_row(
                s, "disk full for 3 s (16 MiB tmpfs)", start, end, "the disk is full"
            )
    finally:
        disk_cm.__exit__(None, None, None)


async def store_detail(serve: Serve) -> str:
    status, body = await serve.healthz()
    return body["parts"]["store"]["detail"] if status == 503 else ""


async def test_the_database_file_deleted_or_replaced_under_serve(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        serve, _warm = await started(s)
        assert "is a new, empty database: the first poll records a baseline" in serve.log
        moved = tmp_path / "moved.db"
        s.db.rename(moved)  # what `rm orderbot.db` does to a running serve
        await until(lambda: _says(serve, "deleted while orderbot runs"), 5, "not unhealthy")
        change = s.changes.next()
        await asyncio.sleep(1.0)  # three poll intervals: none may write into the lost file
        assert s.posts_naming(change) == 0
        moved.rename(s.db)  # the same file back: orderbot carries on
        await until(lambda: s.delivered([change]), 15, "not delivered once the file was back")

        other = tmp_path / "other.db"
        other.write_bytes(s.db.read_bytes())
        os.replace(other, s.db)  # a restore over a running serve
        await until(lambda: _says(serve, "restart orderbot"), 5, "the replaced file went unseen")
        assert await serve.stop() == 0
        said = [line for line in serve.lines if "cannot be written" in line]
        assert len(said) == 2, said  # once for the deletion, once for the replacement
        assert s.tally([change]).duplicated == {}


async def _says(serve: Serve, text: str) -> bool:
    return text in await store_detail(serve)
