"""Successors inferred at ingest: for each page, the newer pages that look like its replacement.

Written whole after every ingest that changed something (``kb.ingest.successors``), read by every
view that judges freshness (``kb.lifecycle.evidence``). A row says nothing about who may read
either page: readers are filtered when the row is used, never here. ``version()`` changes with
every rewrite, so a reader can cache the rows until it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from kb.clock import utc
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS inferred_successors (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL,
    successor_id TEXT NOT NULL,
    confidence   REAL NOT NULL,
    reason       TEXT NOT NULL,
    inferred_at  TEXT NOT NULL,
    UNIQUE (doc_id, successor_id)
);
CREATE INDEX IF NOT EXISTS inferred_successors_doc ON inferred_successors(doc_id);
"""


class InferredPair(BaseModel):
    """``successor_id`` probably replaces ``doc_id``."""

    doc_id: str
    successor_id: str
    confidence: float = Field(description="0..1, the inference's confidence")
    reason: str = Field(description="why, in plain words")
    inferred_at: datetime


class InferredSuccessors:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def replace_all(self, pairs: Iterable[InferredPair]) -> None:
        """Make ``pairs`` the whole table (one transaction: readers see the old or the new set)."""
        rows = [
            (p.doc_id, p.successor_id, p.confidence, p.reason, utc(p.inferred_at).isoformat()) for p in pairs
        ]
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM inferred_successors")
            conn.executemany(
                "INSERT INTO inferred_successors (doc_id, successor_id, confidence, reason, inferred_at) "
                "VALUES (?,?,?,?,?)",
                rows,
            )

    def all(self) -> list[InferredPair]:
        """Every pair, most confident first within each page."""
        rows = self.db.execute(
            "SELECT doc_id, successor_id, confidence, reason, inferred_at FROM inferred_successors "
            "ORDER BY doc_id, confidence DESC, successor_id"
        )
        return [InferredPair.model_validate(dict(r)) for r in rows]

    def version(self) -> int:
        """Changes whenever the table is rewritten (ids only grow)."""
        row = self.db.execute("SELECT COALESCE(MAX(id), 0) AS v FROM inferred_successors").fetchone()
        return int(row["v"])
