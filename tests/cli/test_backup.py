"""``orderbot backup PATH`` as a real process: a consistent copy while another process keeps
writing, one clear line when it cannot, and a copy that restores."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from bot.store import get_meta, open_db
from tests.cli.test_cli import ROOT, orderbot

#: Another process writing as a poll does: a polls row and its three events, in one
#: transaction, over and over, until killed.
WRITER = """
import sys
from bot.store import open_db
db = open_db(sys.argv[1])
print("writing", flush=True)
n = 0
while True:
    n += 1
    with db.atomic():
        poll = db.execute(
            "INSERT INTO polls (started_at, finished_at, ok) VALUES ('t', 't', 1)"
        ).lastrowid
        for i in range(3):
            db.execute(
                "INSERT INTO events (poll_id, at, event, ordernumber, subordernumber, fields)"
                " VALUES (?, 't', 'hold_placed', '20-1', '20-1-11', '{}')",
                [poll],
            )
"""


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERBOT_", "INGRAM_"))}
    return {**env, "ORDERBOT_DB": str(db)}


async def test_a_backup_while_another_process_writes_is_consistent(tmp_path: Path) -> None:
    live = tmp_path / "orderbot.db"
    open_db(live).close()
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(live), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert writer.stdout is not None
        assert (await asyncio.wait_for(writer.stdout.readline(), 30)).strip() == b"writing"
        await asyncio.sleep(0.3)
        copies = []
        for n in range(3):
            target = tmp_path / f"copy-{n}.db"
            run = await orderbot("backup", str(target), env=env_for(live))
            assert run.status == 0, run.err
            assert f"backed up {live} to {target}" in run.out and "To restore it" in run.out
            copies.append(target)
    finally:
        writer.kill()
        await writer.wait()
    counts = [polls_in_sound_copy(copy) for copy in copies]
    assert counts[0] > 0 and counts == sorted(counts)  # the live database kept growing


def polls_in_sound_copy(copy: Path) -> int:
    """How many polls a copy holds, once it is shown to be one file with no poll half there."""
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    db = sqlite3.connect(copy)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        uneven = db.execute(
            "SELECT count(*) FROM polls p WHERE (SELECT count(*) FROM events e"
            " WHERE e.poll_id = p.id) <> 3"
        ).fetchone()[0]
        assert uneven == 0  # every poll has all of its events: nothing half-written
        return int(db.execute("SELECT count(*) FROM polls").fetchone()[0])
    finally:
        db.close()


async def test_a_backup_restores(tmp_path: Path) -> None:
    live = tmp_path / "orderbot.db"
    db = open_db(live)
    database_id = get_meta(db, "database_id")
    db.close()
    run = await orderbot("backup", str(tmp_path / "b.db"), env=env_for(live))
    assert run.status == 0, run.err
    live.unlink()
    (tmp_path / "b.db").rename(live)  # what the README says: stop, copy over, start
    restored = open_db(live)
    assert get_meta(restored, "database_id") == database_id
    restored.close()


async def test_what_cannot_be_backed_up_is_one_clear_line(tmp_path: Path) -> None:
    live = tmp_path / "orderbot.db"
    missing = await orderbot("backup", str(tmp_path / "x.db"), env=env_for(live))
    assert missing.status == 2
    assert missing.err.strip() == (
        f"orderbot: there is no database at {live} to back up (check ORDERBOT_DB)"
    )
    open_db(live).close()
    (tmp_path / "taken.db").write_text("x")
    taken = await orderbot("backup", str(tmp_path / "taken.db"), env=env_for(live))
    assert taken.status == 2 and "exists already" in taken.err
    nowhere = await orderbot("backup", str(tmp_path / "no" / "such" / "b.db"), env=env_for(live))
    assert nowhere.status == 2 and "does not exist" in nowhere.err
    for run in (missing, taken, nowhere):
        assert "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1
