"""Sentence vectors of each stored chunk, computed once at ingest for the extractive answerer.

``POST /v1/ask`` used to embed up to 34 candidate sentences per request (13x the cost of a
search). The ingest now embeds every candidate sentence of a chunk once, in the same model call
as the chunk, and stores them here: one row per chunk, ``keys`` holding 8 bytes per sentence (the
start of the sha1 of the embedded text) and ``vectors`` the sentence vectors as little-endian
float16 (768 bytes per sentence at 384 dimensions; float16 keeps cosines to ~1e-3). An answer
then costs one query embedding and arithmetic.

The text hash, not the sentence's position, identifies a vector, so a change to how sentences are
split can never pair a sentence with another one's vector: a sentence whose hash is not found is
embedded at request time, as before. Rows go with their chunk (cascade), so a re-chunked or
removed document never leaves vectors behind, and ``model`` keeps a model change from mixing
vector spaces.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id  TEXT PRIMARY KEY REFERENCES chunks(chunk_id) ON DELETE CASCADE,
    model     TEXT NOT NULL,
    dim       INTEGER NOT NULL,
    keys      BLOB NOT NULL,   -- 8 bytes per sentence: sha1(embedded text)[:8]
    vectors   BLOB NOT NULL    -- float16 little-endian, sentences x dim
);
"""
KEY_BYTES = 8


def text_key(text: str) -> bytes:
    """The 8-byte key of an embedded sentence text."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()[:KEY_BYTES]


class ChunkSentenceVectors(NamedTuple):
    chunk_id: str
    keys: bytes  # KEY_BYTES per sentence
    vectors: bytes  # float16, len(keys) // KEY_BYTES rows of ``dim``
    dim: int


class SentenceVectors:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def put(self, model: str, rows: Iterable[ChunkSentenceVectors]) -> int:
        """Store (replace) the sentence vectors of chunks already committed; chunks no longer in
        the store are skipped. Returns the rows written."""
        data = [(r.chunk_id, model, r.dim, r.keys, r.vectors, r.chunk_id) for r in rows]
        if not data:
            return 0
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO sentence_vectors (chunk_id, model, dim, keys, vectors) "
                "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE chunk_id = ?) "
                "ON CONFLICT(chunk_id) DO UPDATE SET model = excluded.model, dim = excluded.dim, "
                "keys = excluded.keys, vectors = excluded.vectors",
                data,
            )
        return len(data)

    def for_docs(self, model: str, doc_ids: Sequence[str]) -> list[ChunkSentenceVectors]:
        """Every stored chunk row of these documents for ``model``: one query."""
        if not doc_ids:
            return []
        marks = ",".join("?" * len(doc_ids))
        rows = self.db.execute(
            "SELECT s.chunk_id, s.keys, s.vectors, s.dim FROM chunks c "
            f"JOIN sentence_vectors s ON s.chunk_id = c.chunk_id WHERE c.doc_id IN ({marks}) "
            "AND s.model = ?",
            (*doc_ids, model),
        )
        return [ChunkSentenceVectors(r["chunk_id"], r["keys"], r["vectors"], r["dim"]) for r in rows]

    def missing(self, model: str) -> list[str]:
        """Chunk ids without sentence vectors for ``model`` (written before they existed, or by a
        run killed between the chunk commit and this table's write)."""
        rows = self.db.execute(
            "SELECT c.chunk_id FROM chunks c LEFT JOIN sentence_vectors s "
            "ON s.chunk_id = c.chunk_id AND s.model = ? WHERE s.chunk_id IS NULL ORDER BY c.chunk_id",
            (model,),
        )
        return [r["chunk_id"] for r in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0])
