"""Sentence vectors of the stored chunks, computed once at ingest for the extractive answerer.

``POST /v1/ask`` used to embed up to 34 candidate sentences per request (13x the cost of a
search). The ingest now embeds every candidate sentence of a chunk once, in the same model call
as the chunk, and stores it here: one row per (chunk, sentence), ``key`` the first 8 bytes of
the sha1 of the embedded text and ``vector`` the sentence vector as little-endian float16 (768
bytes at 384 dimensions; float16 keeps cosines to ~1e-3). An answer then costs one query
embedding and one indexed lookup.

The text hash, not the sentence's position, identifies a vector, so a change to how the answerer
splits or frames sentences can never pair a sentence with another one's vector: a text whose
hash is not stored is embedded at request time, as before. Rows go with their chunk (cascade), so
a re-chunked or removed document leaves no vectors behind, and ``model`` keeps a model change
from mixing vector spaces.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id  TEXT NOT NULL REFERENCES chunks(chunk_id) ON DELETE CASCADE,
    model     TEXT NOT NULL,
    key       BLOB NOT NULL,   -- sha1(embedded text)[:8]
    vector    BLOB NOT NULL,   -- float16 little-endian
    PRIMARY KEY (chunk_id, model, key)
);
CREATE INDEX IF NOT EXISTS sentence_vectors_key ON sentence_vectors(model, key);
"""
KEY_BYTES = 8
_LOOKUP_MAX = 500  # keys per query (SQLite's variable limit is far above)


def text_key(text: str) -> bytes:
    """The 8-byte key of an embedded sentence text."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()[:KEY_BYTES]


class SentenceRow(NamedTuple):
    chunk_id: str
    text: str
    vector: Sequence[float]


class SentenceVectors:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    def put(self, model: str, rows: Iterable[SentenceRow]) -> int:
        """Store (replace) sentence vectors of chunks already committed; rows of chunks no longer
        stored are skipped. One transaction; returns the rows offered."""
        data = [
            (r.chunk_id, model, text_key(r.text), np.asarray(r.vector, dtype="<f2").tobytes(), r.chunk_id)
            for r in rows
        ]
        if not data:
            return 0
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO sentence_vectors (chunk_id, model, key, vector) "
                "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE chunk_id = ?) "
                "ON CONFLICT(chunk_id, model, key) DO UPDATE SET vector = excluded.vector",
                data,
            )
        return len(data)

    def lookup(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored text -> its vector (float32), for those of ``texts`` stored for ``model``."""
        wanted = {text_key(t): t for t in texts}
        keys = list(wanted)
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), _LOOKUP_MAX):
            part = keys[start : start + _LOOKUP_MAX]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT key, vector FROM sentence_vectors WHERE model = ? AND key IN ({marks})",
                (model, *part),
            )
            for r in rows:
                out.setdefault(wanted[r["key"]], np.frombuffer(r["vector"], dtype="<f2").astype(np.float32))
        return out

    def missing(self, model: str) -> list[str]:
        """Chunk ids without sentence vectors for ``model`` (written before they existed, restored,
        or by a run killed between the chunk commit and this table's write)."""
        rows = self.db.execute(
            "SELECT c.chunk_id FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM sentence_vectors s "
            "WHERE s.chunk_id = c.chunk_id AND s.model = ?) ORDER BY c.chunk_id",
            (model,),
        )
        return [r["chunk_id"] for r in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0])
