"""Named leases in the store that say who holds them, kept alive by a heartbeat.

A ``Lease`` is one row of ``leases``: the lock name, an opaque holder token, and who the holder
is (pid, host, when it started). Taking it is an IMMEDIATE transaction, so two processes sharing
the store cannot both win. The holder renews ``heartbeat_at`` from a daemon thread; a lease whose
heartbeat is older than ``stale_after`` is free again, so a killed holder blocks others for at
most that long (and not at all on its own host, where a dead pid is seen at once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from kb.store.db import Database

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name          TEXT PRIMARY KEY,
    token         TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    host          TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL
);
"""

Now = Callable[[], datetime]


def _wall_clock() -> datetime:
    # Liveness is about real elapsed time between processes, never an injected domain clock.
    return datetime.now(UTC)


class LeaseHolder(BaseModel):
    """Who holds a lease, for the error a refused caller sees."""

    pid: int
    host: str
    started_at: datetime
    heartbeat_at: datetime

    def describe(self) -> str:
        return (
            f"pid {self.pid} on {self.host}, started {self.started_at.isoformat(timespec='seconds')}, "
            f"last heartbeat {self.heartbeat_at.isoformat(timespec='seconds')}"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Lease:
    """One named lease. ``acquire`` returns None on success, else the current holder."""

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        stale_after: timedelta,
        heartbeat_every: timedelta | None = None,
        now: Now = _wall_clock,
    ) -> None:
        self.db = db
        self.name = name
        self.stale_after = stale_after
        self.heartbeat_every = heartbeat_every or stale_after / 4
        self._now = now
        self.token = uuid.uuid4().hex
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self._stop = threading.Event()
        self.lost = threading.Event()  # set when another process took the lease over as stale
        self._thread: threading.Thread | None = None
        db.ensure_schema(SCHEMA)

    # -- acquire / release ----------------------------------------------------------------
    def acquire(self) -> LeaseHolder | None:
        """Take the lease and start the heartbeat; or return who holds it (nothing changes)."""
        now = self._now()
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT token, pid, host, started_at, heartbeat_at FROM leases WHERE name = ?",
                (self.name,),
            ).fetchone()
            if row is not None and row["token"] != self.token:
                holder = LeaseHolder.model_validate(dict(row))
                if self._live(holder, now):
                    return holder
                log.warning("taking over stale lease %s from %s", self.name, holder.describe())
            conn.execute(
                "INSERT INTO leases (name, token, pid, host, started_at, heartbeat_at) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET token = excluded.token, "
                "pid = excluded.pid, host = excluded.host, started_at = excluded.started_at, "
                "heartbeat_at = excluded.heartbeat_at",
                (self.name, self.token, self.pid, self.host, now.isoformat(), now.isoformat()),
            )
        self._start_heartbeat()
        return None

    def release(self) -> None:
        """Stop the heartbeat and drop the lease if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND token = ?", (self.name, self.token))

    def holder(self) -> LeaseHolder | None:
        """The live holder, if any."""
        row = self.db.execute(
            "SELECT pid, host, started_at, heartbeat_at FROM leases WHERE name = ?", (self.name,)
        ).fetchone()
        if row is None:
            return None
        holder = LeaseHolder.model_validate(dict(row))
        return holder if self._live(holder, self._now()) else None

    def _live(self, holder: LeaseHolder, now: datetime) -> bool:
        if holder.host == self.host and not _pid_alive(holder.pid):
            return False
        return now - holder.heartbeat_at < self.stale_after

    # -- heartbeat ------------------------------------------------------------------------
    def beat(self) -> bool:
        """Renew the heartbeat; False when the lease is no longer ours (taken over as stale)."""
        with self.db.transaction() as conn:
            n = conn.execute(
                "UPDATE leases SET heartbeat_at = ? WHERE name = ? AND token = ?",
                (self._now().isoformat(), self.name, self.token),
            ).rowcount
        return bool(n)

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._heartbeat, name=f"lease-{self.name}", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> None:
        try:
            while not self._stop.wait(self.heartbeat_every.total_seconds()):
                try:
                    if not self.beat():
                        log.error("lease %s was taken over by another process", self.name)
                        self.lost.set()
                        return
                except Exception:  # a busy store must not kill the heartbeat; retry next tick
                    log.exception("lease %s heartbeat failed", self.name)
        finally:
            self.db.close()  # this thread's connection
