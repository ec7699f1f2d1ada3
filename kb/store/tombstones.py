"""Documents an ingest removed, kept restorable for ``ingest.tombstone_days``.

A tombstone holds everything needed to put a document back without the export or the model: its
record and text, and each chunk's text, Chroma metadata and vector (float32). ``kb docs
--removed`` lists them, ``kb restore DOC_ID`` (``kb.ingest.removal.restore``) writes them back.
Tombstones are kept in their own tables, apart from ``documents``: a tombstoned document is not
stored, so no search, listing or count can see it.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from kb.records import Chunk, Document
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS tombstones (
    doc_id      TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    title       TEXT NOT NULL,
    record      TEXT NOT NULL,   -- Document JSON with text
    removed_at  TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_removed ON tombstones(removed_at);
CREATE TABLE IF NOT EXISTS tombstone_chunks (
    chunk_id  TEXT PRIMARY KEY,
    doc_id    TEXT NOT NULL REFERENCES tombstones(doc_id) ON DELETE CASCADE,
    chunk     TEXT NOT NULL,     -- Chunk JSON (text, heading, index, index metadata)
    vector    BLOB               -- float32; NULL when the index had no vector for it
);
CREATE INDEX IF NOT EXISTS tombstone_chunks_doc ON tombstone_chunks(doc_id);
"""


@dataclass(frozen=True)
class Tombstone:
    doc: Document
    removed_at: datetime
    reason: str


@dataclass(frozen=True)
class BuriedChunk:
    chunk: Chunk
    vector: list[float] | None


class Tombstones:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def bury(self, doc: Document, chunks: Iterable[BuriedChunk], removed_at: datetime, reason: str) -> None:
        """Keep ``doc`` (with its text) and its chunks; replaces an older tombstone of it."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM tombstones WHERE doc_id = ?", (doc.doc_id,))
            conn.execute(
                "INSERT INTO tombstones (doc_id, source, title, record, removed_at, reason) "
                "VALUES (?,?,?,?,?,?)",
                (doc.doc_id, doc.source, doc.title, doc.model_dump_json(), removed_at.isoformat(), reason),
            )
            conn.executemany(
                "INSERT INTO tombstone_chunks (chunk_id, doc_id, chunk, vector) VALUES (?,?,?,?)",
                [
                    (
                        b.chunk.chunk_id,
                        doc.doc_id,
                        b.chunk.model_dump_json(),
                        None if b.vector is None else np.asarray(b.vector, dtype=np.float32).tobytes(),
                    )
                    for b in chunks
                ],
            )

    def list(self, source: str | None = None) -> list[Tombstone]:
        sql = "SELECT record, removed_at, reason FROM tombstones"
        params: tuple[object, ...] = ()
        if source is not None:
            sql += " WHERE source = ?"
            params = (source,)
        rows = self.db.execute(sql + " ORDER BY removed_at DESC, doc_id", params)
        return [self._tombstone(r) for r in rows]

    def get(self, doc_id: str) -> Tombstone | None:
        row = self.db.execute(
            "SELECT record, removed_at, reason FROM tombstones WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return self._tombstone(row) if row else None

    def chunks(self, doc_id: str) -> builtins.list[BuriedChunk]:
        rows = self.db.execute("SELECT chunk, vector FROM tombstone_chunks WHERE doc_id = ?", (doc_id,))
        out = [
            BuriedChunk(
                Chunk.model_validate_json(r["chunk"]),
                None if r["vector"] is None else np.frombuffer(r["vector"], dtype=np.float32).tolist(),
            )
            for r in rows
        ]
        return sorted(out, key=lambda b: b.chunk.index)

    def forget(self, doc_ids: Iterable[str]) -> None:
        with self.db.transaction() as conn:
            conn.executemany("DELETE FROM tombstones WHERE doc_id = ?", [(d,) for d in doc_ids])

    def purge(self, before: datetime) -> int:
        """Drop tombstones removed before ``before``; returns how many."""
        with self.db.transaction() as conn:
            return int(
                conn.execute("DELETE FROM tombstones WHERE removed_at < ?", (before.isoformat(),)).rowcount
            )

    @staticmethod
    def _tombstone(row: object) -> Tombstone:
        return Tombstone(
            Document.model_validate_json(row["record"]),  # type: ignore[index]
            datetime.fromisoformat(row["removed_at"]),  # type: ignore[index]
            row["reason"],  # type: ignore[index]
        )
