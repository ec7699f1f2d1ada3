"""The audit log of searches and asks, the per-document usage counts derived from it, and
``AuditRecorder``, which writes it for the API and ``kb search`` (the API's in batches off the
request path: ``kb.store.audit_queue``).

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
from kb.store.audit_queue import AuditQueue
from kb.store.db import Database
from kb.store.listing import newest_first

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    "user"      TEXT NOT NULL,  -- quoted: a reserved word in PostgreSQL
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
        self.record_many([entry])

    def record_many(self, entries: list[AuditEntry]) -> None:
        """Write entries and their usage counts in one transaction (all or none)."""
        if not entries:
            return
        usage: dict[tuple[str, str], int] = {}
        for e in entries:
            day = utc(e.at).date().isoformat()
            for d in dict.fromkeys(e.doc_ids):
                usage[(d, day)] = usage.get((d, day), 0) + 1
        with self.db.transaction() as conn:
            conn.executemany(
                'INSERT INTO audit (at, "user", action, query, doc_ids, latency_ms, status) '
                "VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        utc(e.at).isoformat(),
                        e.user,
                        e.action,
                        e.query,
                        json.dumps(e.doc_ids),
                        e.latency_ms,
                        e.status,
                    )
                    for e in entries
                ],
            )
            conn.executemany(
                "INSERT INTO usage (doc_id, day, hits) VALUES (?,?,?) "
                "ON CONFLICT(doc_id, day) DO UPDATE SET hits = usage.hits + excluded.hits",
                [(d, day, n) for (d, day), n in usage.items()],
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
    """Records one ``AuditEntry`` per search or ask, from the API and from ``kb search`` alike,
    and purges rows past retention at startup and then every ``PURGE_EVERY`` writes (cheap: one
    indexed DELETE).

    With ``flush_seconds`` the entries go through an ``AuditQueue`` (``kb.store.audit_queue``):
    written in batches off the request path, the rest at ``close()``. Without, each is written
    before ``call`` returns."""

    def __init__(
        self, log: AuditLog, clock: Clock, retention_days: int, *, flush_seconds: float | None = None
    ) -> None:
        self._log = log
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._writes = 0
        self._lock = threading.Lock()
        self.queue: AuditQueue[AuditEntry] | None = (
            AuditQueue(self._write, flush_seconds) if flush_seconds else None
        )

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
            entry = AuditEntry(
                at=self._clock.now(),
                user=principal.user,
                action=action,
                query=query,
                doc_ids=call.doc_ids,
                latency_ms=round((perf_counter() - started) * 1000, 1),
                status=status,
            )
            if self.queue is None:
                self._write([entry])
            else:
                self.queue.put(entry)

    def flush(self) -> int:
        """Write what is queued now (a caller about to read its own entries); returns how many."""
        return self.queue.flush() if self.queue is not None else 0

    def close(self) -> int:
        """Stop the writer and write what is queued (shutdown); returns how many."""
        return self.queue.close() if self.queue is not None else 0

    def _write(self, entries: list[AuditEntry]) -> None:
        self._log.record_many(entries)
        with self._lock:
            due = (self._writes + len(entries)) // PURGE_EVERY > self._writes // PURGE_EVERY
            self._writes += len(entries)
        if due:
            self.purge()
