"""The audit log of searches and asks, the per-document usage counts derived from it, and
``AuditRecorder``, which writes it for the API and ``kb search``.

Who asked what, when, which document ids came back and how long it took. Usage counts (how often a
document was returned recently) order the owners' staleness digests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter

from pydantic import BaseModel, Field

from kb.clock import Clock, utc
from kb.errors import KBError
from kb.records import Principal
from kb.store.db import Database
from kb.store.listing import newest_first

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    user        TEXT NOT NULL,
    action      TEXT NOT NULL,
    query       TEXT NOT NULL,
    doc_ids     TEXT NOT NULL,
    latency_ms  REAL NOT NULL,
    status      INTEGER NOT NULL DEFAULT 200
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TABLE IF NOT EXISTS usage (
    doc_id  TEXT NOT NULL,
    day     TEXT NOT NULL,
    hits    INTEGER NOT NULL,
    PRIMARY KEY (doc_id, day)
);
"""


class AuditEntry(BaseModel):
    at: datetime
    user: str
    action: str = Field(description="search | ask | review:<api|link|cli> (query holds the doc id)")
    query: str
    doc_ids: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0
    status: int = 200


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def record(self, entry: AuditEntry) -> None:
        at = utc(entry.at)
        day = at.date().isoformat()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO audit (at, user, action, query, doc_ids, latency_ms, status) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    at.isoformat(),
                    entry.user,
                    entry.action,
                    entry.query,
                    json.dumps(entry.doc_ids),
                    entry.latency_ms,
                    entry.status,
                ),
            )
            conn.executemany(
                "INSERT INTO usage (doc_id, day, hits) VALUES (?,?,1) "
                "ON CONFLICT(doc_id, day) DO UPDATE SET hits = hits + 1",
                [(d, day) for d in dict.fromkeys(entry.doc_ids)],
            )

    def entries(
        self, *, user: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        return newest_first(
            self.db,
            "audit",
            ("at", "user", "action", "query", "doc_ids", "latency_ms", "status"),
            AuditEntry,
            equal={"user": user},
            since=since,
            limit=limit,
        )

    def usage_counts(self, since: datetime) -> dict[str, int]:
        """doc_id -> times it was returned to anyone since ``since`` (day granularity)."""
        rows = self.db.execute(
            "SELECT doc_id, SUM(hits) AS n FROM usage WHERE day >= ? GROUP BY doc_id",
            (utc(since).date().isoformat(),),
        )
        return {r["doc_id"]: int(r["n"]) for r in rows}

    def purge(self, before: datetime) -> int:
        """Drop audit rows (and usage days) older than ``before``; returns rows removed."""
        cutoff = utc(before)
        with self.db.transaction() as conn:
            n = conn.execute("DELETE FROM audit WHERE at < ?", (cutoff.isoformat(),)).rowcount
            conn.execute("DELETE FROM usage WHERE day < ?", (cutoff.date().isoformat(),))
        return int(n)


PURGE_EVERY = 500


@dataclass
class AuditedCall:
    """Filled in by the route while the call runs: the document ids it returned."""

    doc_ids: list[str] = field(default_factory=list)


class AuditRecorder:
    """Writes one ``AuditEntry`` per search or ask, from the API and from ``kb search`` alike,
    and purges rows past retention at startup and then every ``PURGE_EVERY`` writes (cheap: one
    indexed DELETE)."""

    def __init__(self, log: AuditLog, clock: Clock, retention_days: int) -> None:
        self._log = log
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._writes = 0
        self._lock = threading.Lock()

    def purge(self) -> int:
        return self._log.purge(self._clock.now() - self._retention)

    @contextmanager
    def call(self, principal: Principal, action: str, query: str) -> Iterator[AuditedCall]:
        """Audit the enclosed work, failures included (with their HTTP status)."""
        started = perf_counter()
        call = AuditedCall()
        status = 200
        try:
            yield call
        except KBError as err:
            status = err.http_status
            raise
        except Exception:
            status = 500
            raise
        finally:
            self._record(
                AuditEntry(
                    at=self._clock.now(),
                    user=principal.user,
                    action=action,
                    query=query,
                    doc_ids=call.doc_ids,
                    latency_ms=round((perf_counter() - started) * 1000, 1),
                    status=status,
                )
            )

    def _record(self, entry: AuditEntry) -> None:
        self._log.record(entry)
        with self._lock:
            self._writes += 1
            due = self._writes % PURGE_EVERY == 0
        if due:
            self.purge()
