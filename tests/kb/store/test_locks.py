"""``kb.store.locks.Lease`` on a real SQLite and PostgreSQL store: exclusion, holder details,
staleness, heartbeat."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kb.store.db import Database
from kb.store.locks import Lease

STALE = timedelta(seconds=60)


@pytest.fixture
def db(open_db: Callable[[], Database]) -> Database:
    return open_db()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_holder_is_refused_with_who_holds_it(db: Database, open_db: Callable[[], Database]) -> None:
    first = Lease(db, "ingest", stale_after=STALE)
    assert first.acquire() is None
    try:
        other = Lease(open_db(), "ingest", stale_after=STALE)
        holder = other.acquire()
        assert holder is not None and holder.pid == first.pid and holder.host == first.host
        assert f"pid {first.pid} on {first.host}" in holder.describe()
        assert Lease(db, "alerts", stale_after=STALE).acquire() is None  # names are independent
    finally:
        first.release()
    assert other.acquire() is None  # free once released
    other.release()
    assert other.holder() is None


def test_dead_holder_on_this_host_is_taken_over_at_once(db: Database) -> None:
    dead = Lease(db, "ingest", stale_after=timedelta(hours=1))
    dead.pid = _dead_pid()
    assert dead.acquire() is None
    dead._stop.set()  # simulate the kill: no more heartbeats, no release

    alive = Lease(db, "ingest", stale_after=timedelta(hours=1))
    assert alive.acquire() is None
    alive.release()


def test_other_host_is_stale_only_after_its_heartbeat_stops(db: Database) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    remote = Lease(db, "ingest", stale_after=STALE, now=lambda: t0)
    remote.host = "elsewhere"
    assert remote.acquire() is None
    remote._stop.set()

    clock = {"now": t0 + STALE - timedelta(seconds=1)}
    local = Lease(db, "ingest", stale_after=STALE, now=lambda: clock["now"])
    held = local.acquire()
    assert held is not None and held.host == "elsewhere"
    clock["now"] = t0 + STALE
    assert local.acquire() is None
    assert not remote.beat(), "the old holder must notice it lost the lease"
    local.release()


def test_heartbeat_keeps_the_lease_fresh_and_detects_a_takeover(
    db: Database, open_db: Callable[[], Database]
) -> None:
    lease = Lease(db, "ingest", stale_after=timedelta(seconds=5), heartbeat_every=timedelta(seconds=0.05))
    assert lease.acquire() is None
    try:
        started = lease.holder()
        assert started is not None
        deadline = time.monotonic() + 5  # a few beats (a new pooled connection may come first)
        later = lease.holder()
        while (later is None or later.heartbeat_at == started.heartbeat_at) and time.monotonic() < deadline:
            time.sleep(0.05)
            later = lease.holder()
        assert later is not None and later.heartbeat_at > started.heartbeat_at
        assert later.started_at == started.started_at

        # Someone decides the lease is stale and takes it; the heartbeat notices.
        thief = Lease(
            open_db(),
            "ingest",
            stale_after=STALE,
            now=lambda: datetime.now(UTC) + timedelta(hours=1),
        )
        thief.host = "elsewhere"
        assert thief.acquire() is None
        thief._stop.set()
        assert lease.lost.wait(2.0)
    finally:
        lease.release()
