"""The snapshot as polls write it (first_seen kept, hold_since maintained, old unseen rows
pruned) and as ``/order holds`` reads it."""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from bot.store import current_holds, get_snapshot_row, hold_counts, load_snapshot
from tests.store.helpers import T0, poll, state


def test_upsert_keeps_first_seen_and_maintains_hold_since(db: Database) -> None:
    t1, t2, t3, t4 = (T0 + timedelta(minutes=5 * i) for i in range(1, 5))
    poll(db, [state("20-A-11"), state("20-B-11", hold="C3")], now=T0, baseline=True)
    # A goes on hold; B keeps its hold.
    poll(db, [state("20-A-11", hold="SH"), state("20-B-11", hold="C3")], now=t1)
    a, b = get_snapshot_row(db, "20-A-11"), get_snapshot_row(db, "20-B-11")
    assert (a.first_seen, a.last_seen, a.hold_since, a.holdreasoncode) == (T0, t1, t1, "SH")
    assert (b.first_seen, b.last_seen, b.hold_since) == (T0, t1, T0)
    # B's hold code changes: its hold_since restarts. A's status changes, hold stays.
    poll(db, [state("20-A-11", hold="SH", status="S"), state("20-B-11", hold="C4")], now=t2)
    a, b = get_snapshot_row(db, "20-A-11"), get_snapshot_row(db, "20-B-11")
    assert (a.hold_since, a.statuscode) == (t1, "S")
    assert (b.hold_since, b.holdreasoncode) == (t2, "C4")
    # A is released; B is not read at all this time.
    poll(db, [state("20-A-11", status="R")], now=t3)
    a, b = get_snapshot_row(db, "20-A-11"), get_snapshot_row(db, "20-B-11")
    assert (a.hold_since, a.holdreasoncode, a.last_seen) == (None, "", t3)
    assert (b.last_seen, b.hold_since, b.first_seen) == (t2, t2, T0)
    # A on hold again: a new hold_since.
    poll(db, [state("20-A-11", hold="C3")], now=t4)
    assert get_snapshot_row(db, "20-A-11").hold_since == t4


def test_only_the_entry_time_takes_a_shipment_out_of_the_snapshot(db: Database) -> None:
    old, recent = T0 - timedelta(days=40), T0 - timedelta(days=2)
    poll(
        db,
        [
            state("20-OLD-11", entry=old),
            state("20-OLDSEEN-11", entry=old),
            state("20-NEW-11", entry=recent),
            state("20-NODATE-11", entry=None),
        ],
        now=T0,
        baseline=True,
    )
    later = T0 + timedelta(minutes=5)
    poll(
        db, [state("20-OLDSEEN-11", entry=old)], now=later, prune_before=later - timedelta(days=30)
    )
    # NEW was not listed, but it is still in the window: not forgotten on one poll's word;
    # NODATE has no entry time: it stays until no poll has seen it for the whole window.
    assert set(load_snapshot(db)) == {"20-OLDSEEN-11", "20-NEW-11", "20-NODATE-11"}
    month = later + timedelta(days=31)
    poll(db, [], now=month, prune_before=month - timedelta(days=30))
    assert set(load_snapshot(db)) == set()


def test_no_prune_without_prune_before(db: Database) -> None:
    poll(db, [state("20-OLD-11", entry=T0 - timedelta(days=400))], now=T0, baseline=True)
    poll(db, [], now=T0 + timedelta(minutes=5), prune_before=None)
    assert set(load_snapshot(db)) == {"20-OLD-11"}


def test_current_holds_oldest_first_and_by_code(db: Database) -> None:
    poll(db, [state("20-A-11", hold="C3"), state("20-B-11")], now=T0, baseline=True)
    t1 = T0 + timedelta(minutes=5)
    poll(
        db,
        [state("20-A-11", hold="C3"), state("20-B-11", hold="SH"), state("20-C-11", hold="C3")],
        now=t1,
    )
    holds = current_holds(db)
    assert [h.subordernumber for h in holds] == ["20-A-11", "20-B-11", "20-C-11"]
    assert [h.hold_since for h in holds] == [T0, t1, t1]
    assert [h.subordernumber for h in current_holds(db, "C3")] == ["20-A-11", "20-C-11"]
    assert [h.subordernumber for h in current_holds(db, " sh ")] == ["20-B-11"]
    assert current_holds(db, "ZZ") == []
    assert current_holds(db, "") == []
    assert holds[0].hold_text == "Credit hold" and holds[0].entry_time == T0


def test_hold_counts_by_code(db: Database) -> None:
    assert hold_counts(db) == {}
    current = [
        state("20-A-11", hold="C3"),
        state("20-A-21", hold="C3"),
        state("20-B-11", hold="SH"),
        state("20-C-11"),
    ]
    poll(db, current, now=T0, baseline=True)
    assert hold_counts(db) == {"C3": 2, "SH": 1}
