"""The writer lease: claimed when free, expired or its holder is known dead; renewed inside
write transactions (the fence); released at a clean stop."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlite_utils import Database

from bot.store import LeaseHolder, LeaseLost, claim_lease, get_lease, release_lease, renew_lease
from tests.store.helpers import T0

TTL = 30.0


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_first_claim_wins_and_a_second_holder_is_told_who_holds_it(db: Database) -> None:
    serve = LeaseHolder.here("serve")
    other = replace(LeaseHolder.here("serve"), pid=os.getppid())  # alive, same host
    lease = claim_lease(db, serve, now=T0, ttl=TTL)
    assert lease.held_by(serve) and lease.expires_at == T0 + timedelta(seconds=TTL)
    seen = claim_lease(db, other, now=T0 + timedelta(seconds=1), ttl=TTL)
    assert not seen.held_by(other) and seen.held_by(serve)
    assert seen.describe() == f"orderbot serve (pid {os.getpid()} on host {serve.host})"
    # Renewing keeps the time it was first acquired.
    again = claim_lease(db, serve, now=T0 + timedelta(seconds=5), ttl=TTL)
    assert again.acquired_at == T0 and again.renewed_at == T0 + timedelta(seconds=5)


def test_an_expired_lease_is_taken_over(db: Database) -> None:
    first = replace(LeaseHolder.here("serve"), host="elsewhere")  # cannot tell if it lives
    second = LeaseHolder.here("serve")
    claim_lease(db, first, now=T0, ttl=TTL)
    assert not claim_lease(db, second, now=T0 + timedelta(seconds=29), ttl=TTL).held_by(second)
    taken = claim_lease(db, second, now=T0 + timedelta(seconds=30), ttl=TTL)
    assert taken.held_by(second) and taken.acquired_at == T0 + timedelta(seconds=30)
    with pytest.raises(LeaseLost, match="held by orderbot serve"):
        renew_lease(db, first, now=T0 + timedelta(seconds=31), ttl=TTL)


def test_a_dead_holder_on_this_host_is_taken_over_at_once(db: Database) -> None:
    crashed = replace(LeaseHolder.here("serve"), pid=dead_pid())
    claim_lease(db, crashed, now=T0, ttl=TTL)
    me = LeaseHolder.here("poll --once")
    assert claim_lease(db, me, now=T0 + timedelta(seconds=1), ttl=TTL).held_by(me)


def test_a_predecessor_with_this_processes_pid_is_dead(db: Database) -> None:
    # A restarted container runs orderbot with the same pid (and host) as the one before.
    before = LeaseHolder.here("serve")
    claim_lease(db, before, now=T0, ttl=TTL)
    me = LeaseHolder.here("serve")
    assert claim_lease(db, me, now=T0 + timedelta(seconds=1), ttl=TTL).held_by(me)


def test_renewal_fences_writes_and_release_frees_it(db: Database) -> None:
    me = LeaseHolder.here("serve")
    with pytest.raises(LeaseLost, match="held by nobody"):
        renew_lease(db, me, now=T0, ttl=TTL)
    claim_lease(db, me, now=T0, ttl=TTL)
    renew_lease(db, me, now=T0 + timedelta(seconds=20), ttl=TTL)
    assert get_lease(db).expires_at == T0 + timedelta(seconds=50)
    # Expired, but nobody took it: still ours (a wall-clock step must not cost it).
    renew_lease(db, me, now=T0 + timedelta(seconds=80), ttl=TTL)
    assert release_lease(db, me)
    assert get_lease(db) is None
    assert not release_lease(db, me)
