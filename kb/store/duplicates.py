"""Near-duplicate pairs found at ingest (table ``near_duplicates``): the same page kept in two
sources, e.g. an onboarding checklist in Notion and a copy of it in Drive.

One row per unordered pair (``doc_a < doc_b``) with its similarity. Each ingest replaces the
whole set (``kb.ingest.duplicates`` recomputes it over every stored document), and a pair goes
away with either of its documents (ON DELETE CASCADE). This store does not know who may read
what: callers filter partners by the reader's ACL before naming one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel

from kb.store.db import Database
from kb.store.documents import SCHEMA as DOCUMENTS_SCHEMA

SCHEMA = """
CREATE TABLE IF NOT EXISTS near_duplicates (
    doc_a       TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    doc_b       TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    similarity  REAL NOT NULL,
    found_at    TEXT NOT NULL,
    PRIMARY KEY (doc_a, doc_b),
    CHECK (doc_a < doc_b)
);
CREATE INDEX IF NOT EXISTS near_duplicates_b ON near_duplicates(doc_b);
"""


class Pair(BaseModel):
    """Two documents with (nearly) the same content; ``similarity`` is their Jaccard 0..1."""

    doc_a: str
    doc_b: str
    similarity: float

    @classmethod
    def of(cls, one: str, other: str, similarity: float) -> Pair:
        a, b = sorted((one, other))
        return cls(doc_a=a, doc_b=b, similarity=similarity)


class NearDuplicates:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(DOCUMENTS_SCHEMA)  # pairs reference documents
        db.ensure_schema(SCHEMA)

    def replace(self, pairs: Iterable[Pair], now: datetime | None = None) -> None:
        """Set the stored pairs to ``pairs`` (pairs naming a document no longer stored are
        skipped: it was removed while they were computed)."""
        at = (now or datetime.now(UTC)).isoformat()
        with self.db.transaction() as conn:
            stored = {r[0] for r in conn.execute("SELECT doc_id FROM documents")}
            conn.execute("DELETE FROM near_duplicates")
            conn.executemany(
                "INSERT INTO near_duplicates (doc_a, doc_b, similarity, found_at) VALUES (?,?,?,?)",
                [
                    (p.doc_a, p.doc_b, p.similarity, at)
                    for p in pairs
                    if p.doc_a in stored and p.doc_b in stored
                ],
            )

    def all(self) -> list[Pair]:
        rows = self.db.execute(
            "SELECT doc_a, doc_b, similarity FROM near_duplicates ORDER BY doc_a, doc_b"
        ).fetchall()
        return [Pair(doc_a=r[0], doc_b=r[1], similarity=r[2]) for r in rows]

    def partners(self, among: Iterable[str] | None = None) -> dict[str, dict[str, float]]:
        """doc id -> {near-duplicate doc id: similarity}, both directions; with ``among``, only
        pairs with at least one document in it."""
        pairs = self.all()
        if among is not None:
            ids = set(among)
            pairs = [p for p in pairs if p.doc_a in ids or p.doc_b in ids]
        out: dict[str, dict[str, float]] = {}
        for p in pairs:
            out.setdefault(p.doc_a, {})[p.doc_b] = p.similarity
            out.setdefault(p.doc_b, {})[p.doc_a] = p.similarity
        return out

    def of(self, doc_id: str) -> dict[str, float]:
        """``doc_id``'s near-duplicates with their similarity, most similar first."""
        rows = self.db.execute(
            "SELECT doc_b, similarity FROM near_duplicates WHERE doc_a = ? "
            "UNION ALL SELECT doc_a, similarity FROM near_duplicates WHERE doc_b = ? "
            "ORDER BY 2 DESC, 1",
            (doc_id, doc_id),
        ).fetchall()
        return {r[0]: r[1] for r in rows}
