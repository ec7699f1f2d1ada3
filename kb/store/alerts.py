"""Alert state that must survive restarts: what was sent to whom, delivery attempts, the runner lock.

- ``alert_history``: one row per (document, recipient) alert that was actually delivered; the
  runner reads it to honour ``alerts.realert_after_days``.
- ``alert_digests``: one row per (recipient, period) digest that was delivered: the idempotency key
  that keeps a repeated run from sending the same digest twice.
- ``alert_deliveries``: every attempt (sent or failed) with its error, for operators.
- ``alert_lock``: a lease (holder + expires_at) taken in a one-writer transaction, so only one
  runner (in any process sharing the store) sends at a time. On PostgreSQL the runner also holds
  a session advisory lock (``Database.session_lock``) for the whole run: runners on several
  hosts exclude each other even when their clocks disagree, and a runner whose host dies
  releases it with its connection instead of blocking others until the lease expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from kb.clock import utc
from kb.store.db import Database, SessionLock

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    alerted_at  TEXT NOT NULL,
    period      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS alert_history_doc ON alert_history(doc_id, recipient, alerted_at);
CREATE TABLE IF NOT EXISTS alert_digests (
    recipient  TEXT NOT NULL,
    period     TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    target     TEXT NOT NULL,
    items      INTEGER NOT NULL,
    PRIMARY KEY (recipient, period)
);
CREATE TABLE IF NOT EXISTS alert_deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    period     TEXT NOT NULL,
    channel    TEXT NOT NULL,
    target     TEXT NOT NULL,
    status     TEXT NOT NULL,
    error      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS alert_lock (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
"""


class AlertRecord(BaseModel):
    """One delivered alert about one document (``status`` is the document's status then)."""

    doc_id: str
    recipient: str
    alerted_at: datetime
    period: str
    channel: str
    status: str
    reason: str = ""


class SentItem(BaseModel):
    doc_id: str
    status: str
    reason: str = ""


class AlertHistory:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    # -- reads ----------------------------------------------------------------------------
    def for_doc(self, doc_id: str) -> list[AlertRecord]:
        """Alerts delivered about ``doc_id``, newest first (for ``GET /v1/docs/{id}``, ``kb docs``)."""
        rows = self.db.execute(
            "SELECT doc_id, recipient, alerted_at, period, channel, status, reason "
            "FROM alert_history WHERE doc_id = ? ORDER BY alerted_at DESC, id DESC",
            (doc_id,),
        )
        return [AlertRecord.model_validate(dict(r)) for r in rows]

    def last_alerted(self) -> dict[tuple[str, str, str], datetime]:
        """(doc_id, recipient, kind) -> when it was last delivered; kind is 'secret', 'successor'
        (an "Is X replaced by Y?" question) or 'stale'."""
        rows = self.db.execute(
            "SELECT doc_id, recipient, CASE WHEN status IN ('secret', 'successor') THEN status "
            "ELSE 'stale' END "
            "AS kind, MAX(alerted_at) AS at FROM alert_history GROUP BY doc_id, recipient, kind"
        )
        return {(r["doc_id"], r["recipient"], r["kind"]): datetime.fromisoformat(r["at"]) for r in rows}

    def digest_sent(self, recipient: str, period: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM alert_digests WHERE recipient = ? AND period = ?", (recipient, period)
        ).fetchone()
        return row is not None

    def deliveries(self, limit: int = 100) -> list[dict[str, object]]:
        rows = self.db.execute(
            "SELECT at, recipient, period, channel, target, status, error FROM alert_deliveries "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    # -- writes ---------------------------------------------------------------------------
    def record_sent(
        self, *, recipient: str, period: str, channel: str, target: str, items: list[SentItem], at: datetime
    ) -> bool:
        """Record a delivered digest and its items in one transaction.

        Returns False (and records nothing) when this (recipient, period) was already recorded:
        another runner got there first.
        """
        when = utc(at).isoformat()
        with self.db.transaction() as conn:
            inserted = conn.execute(
                "INSERT INTO alert_digests (recipient, period, sent_at, channel, target, items) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (recipient, period, when, channel, target, len(items)),
            ).rowcount
            if not inserted:
                return False
            conn.executemany(
                "INSERT INTO alert_history (doc_id, recipient, alerted_at, period, channel, status, "
                "reason) VALUES (?,?,?,?,?,?,?)",
                [(i.doc_id, recipient, when, period, channel, i.status, i.reason) for i in items],
            )
            conn.execute(
                "INSERT INTO alert_deliveries (at, recipient, period, channel, target, status) "
                "VALUES (?,?,?,?,?,'sent')",
                (when, recipient, period, channel, target),
            )
        return True

    def record_failure(
        self, *, recipient: str, period: str, channel: str, target: str, error: str, at: datetime
    ) -> None:
        """Keep the failed attempt for operators; nothing is marked as alerted, so it is retried."""
        self.db.execute(
            "INSERT INTO alert_deliveries (at, recipient, period, channel, target, status, error) "
            "VALUES (?,?,?,?,?,'failed',?)",
            (utc(at).isoformat(), recipient, period, channel, target, error),
        )


class RunnerLock:
    """A lease lock in the store: one row per lock name with its holder and expiry, plus the
    backend's session lock (an advisory lock on PostgreSQL) while held."""

    def __init__(self, db: Database, name: str = "alerts") -> None:
        self.db = db
        self.name = name
        self._sessions: dict[str, SessionLock] = {}
        db.ensure_schema(SCHEMA)

    def acquire(self, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take the lock unless someone else holds it: the session lock first, then the lease
        unless another holder's is unexpired (one-writer transaction)."""
        session = self.db.session_lock(f"freshkb:runner:{self.name}")
        if session is None:
            return False
        if not self._take_lease(holder, utc(now), ttl, override=session.authoritative):
            session.release()
            return False
        self._sessions[holder] = session
        return True

    def _take_lease(self, holder: str, now: datetime, ttl: timedelta, *, override: bool) -> bool:
        """``override``: the session lock alone decides (a leftover row is a dead holder's)."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT holder, expires_at FROM alert_lock WHERE name = ?", (self.name,)
            ).fetchone()
            if (
                not override
                and row is not None
                and row["holder"] != holder
                and datetime.fromisoformat(row["expires_at"]) > now
            ):
                return False
            conn.execute(
                "INSERT INTO alert_lock (name, holder, expires_at) VALUES (?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at",
                (self.name, holder, (now + ttl).isoformat()),
            )
        return True

    def release(self, holder: str) -> None:
        try:
            with self.db.transaction() as conn:
                conn.execute("DELETE FROM alert_lock WHERE name = ? AND holder = ?", (self.name, holder))
        finally:
            session = self._sessions.pop(holder, None)
            if session is not None:
                session.release()

    def holder(self, now: datetime) -> str | None:
        row = self.db.execute(
            "SELECT holder, expires_at FROM alert_lock WHERE name = ?", (self.name,)
        ).fetchone()
        if row is None or datetime.fromisoformat(row["expires_at"]) <= utc(now):
            return None
        return str(row["holder"])
