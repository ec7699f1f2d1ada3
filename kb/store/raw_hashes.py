"""What each stored document looked like *as read*, so an unchanged re-ingest can skip the work.

One row per document: the hash of the raw document the ingestor returned (plus a fingerprint of
the settings and code that turn it into the stored record), next to the content and metadata
hashes the stored record had when that raw hash was recorded. The ingest pipeline trusts a match
only while the stored record still carries those same hashes, so a row left behind by a crash or
by a later change to the record is ignored, never wrong. Rows go with their document (cascade).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS raw_hashes (
    doc_id        TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    raw_hash      TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    meta_hash     TEXT NOT NULL
);
"""


class RawEntry(NamedTuple):
    doc_id: str
    raw_hash: str
    content_hash: str
    meta_hash: str


class RawHashes:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def valid(self, source: str) -> dict[str, str]:
        """doc_id -> raw hash, for documents of ``source`` whose record is still the one recorded."""
        rows = self.db.execute(
            "SELECT r.doc_id, r.raw_hash FROM raw_hashes r JOIN documents d ON d.doc_id = r.doc_id "
            "WHERE d.source = ? AND d.content_hash = r.content_hash AND d.meta_hash = r.meta_hash",
            (source,),
        )
        return {r["doc_id"]: r["raw_hash"] for r in rows}

    def record(self, entries: Iterable[RawEntry]) -> None:
        """Record raw hashes of documents already committed (missing documents are skipped)."""
        rows = list(entries)
        if not rows:
            return
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO raw_hashes (doc_id, raw_hash, content_hash, meta_hash) "
                "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE doc_id = ?) "
                "ON CONFLICT(doc_id) DO UPDATE SET raw_hash = excluded.raw_hash, "
                "content_hash = excluded.content_hash, meta_hash = excluded.meta_hash",
                [(*r, r.doc_id) for r in rows],
            )
