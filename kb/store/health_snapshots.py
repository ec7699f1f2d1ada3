"""Daily snapshots of knowledge health (table ``health_snapshots``), for the trend on ``/admin``
and in ``kb report``.

One row per day, dimension (``all``, ``space``, ``team``, ``owner``) and key with its counts; a
day's snapshot is replaced when the report runs again that day, so the stored figures are the
day's last.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel

from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS health_snapshots (
    day         TEXT NOT NULL,
    dimension   TEXT NOT NULL,
    key         TEXT NOT NULL,
    documents   INTEGER NOT NULL,
    fresh       INTEGER NOT NULL,
    due_soon    INTEGER NOT NULL,
    overdue     INTEGER NOT NULL,
    unowned     INTEGER NOT NULL,
    owner_left  INTEGER NOT NULL,
    PRIMARY KEY (day, dimension, key)
);
"""
COUNTS = ("documents", "fresh", "due_soon", "overdue", "unowned", "owner_left")


class SnapshotRow(BaseModel):
    day: date
    dimension: str
    key: str
    documents: int
    fresh: int
    due_soon: int
    overdue: int
    unowned: int
    owner_left: int


class HealthSnapshots:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def record(self, day: date, rows: Iterable[SnapshotRow]) -> None:
        """Replace ``day``'s snapshot with ``rows``."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM health_snapshots WHERE day = ?", (day.isoformat(),))
            conn.executemany(
                f"INSERT INTO health_snapshots (day, dimension, key, {', '.join(COUNTS)}) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [(day.isoformat(), r.dimension, r.key, *(getattr(r, c) for c in COUNTS)) for r in rows],
            )

    def series(
        self, dimension: str = "all", key: str = "all", since: date | None = None
    ) -> list[SnapshotRow]:
        """One row per recorded day for ``dimension``/``key``, oldest first."""
        rows = self.db.execute(
            f"SELECT day, dimension, key, {', '.join(COUNTS)} FROM health_snapshots "
            "WHERE dimension = ? AND key = ? AND day >= ? ORDER BY day",
            (dimension, key, (since or date.min).isoformat()),
        ).fetchall()
        return [SnapshotRow.model_validate(dict(r)) for r in rows]
