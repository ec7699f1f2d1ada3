"""Document records and their chunk texts in the store: the commit point of an ingest.

Chroma holds the vectors; this store holds what a document *is* (its lifecycle metadata) and the
chunk texts that BM25 and snippets need. A record read without its text carries, as ``text``, the
part of it freshness markers are read from (``kb.lifecycle.freshness.marker_excerpt``: the top of the page
and its headings), kept in its own column, so every caller of ``kb.lifecycle.freshness.assess`` sees the
same "this page is deprecated" banner without loading whole texts.

A document counts as ingested only once its row is committed here, so a crash between the vector
write and this commit is repaired on the next run.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from kb.records import Chunk, Document, marker_excerpt
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id        TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    owner         TEXT,
    status        TEXT NOT NULL,
    title         TEXT NOT NULL,
    record        TEXT NOT NULL,   -- Document JSON without text
    text          TEXT NOT NULL,
    markers       TEXT,            -- marker_excerpt(text); NULL in rows written before it existed
    content_hash  TEXT NOT NULL,
    meta_hash     TEXT NOT NULL,
    ingested_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_owner ON documents(owner);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id  TEXT PRIMARY KEY,
    doc_id    TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    heading   TEXT NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# Added after the baseline (migration 8): which documents each generation changed.
CHANGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    generation  INTEGER PRIMARY KEY,  -- the generation this write made
    doc_ids     TEXT NOT NULL         -- JSON list of the documents it wrote or deleted
);
"""
SCHEMA += CHANGES_SCHEMA
CHANGES_KEPT = 50_000  # generations whose documents ``changed`` can tell (older: rebuild)


class DocumentStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Stores from before the ``markers`` column get it from migration 2
        # (kb.store.migrations); a row still NULL, written by an older process, is excerpted
        # when read.
        db.ensure_schema(SCHEMA)

    # -- writes ---------------------------------------------------------------------------
    def upsert(self, doc: Document, chunks: list[Chunk] | None = None) -> None:
        """Write a record; with ``chunks``, replace its chunk texts in the same transaction."""
        record = doc.model_dump_json(exclude={"text"})
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO documents (doc_id, source, owner, status, title, record, text,
                       markers, content_hash, meta_hash, ingested_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(doc_id) DO UPDATE SET source=excluded.source,
                       owner=excluded.owner, status=excluded.status, title=excluded.title,
                       record=excluded.record, text=excluded.text, markers=excluded.markers,
                       content_hash=excluded.content_hash, meta_hash=excluded.meta_hash,
                       ingested_at=excluded.ingested_at""",
                (
                    doc.doc_id,
                    doc.source,
                    doc.owner,
                    doc.status,
                    doc.title,
                    record,
                    doc.text,
                    marker_excerpt(doc.text),
                    doc.content_hash,
                    doc.metadata_hash(),
                    now,
                ),
            )
            if chunks is not None:
                conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.doc_id,))
                conn.executemany(
                    "INSERT INTO chunks (chunk_id, doc_id, idx, heading, text) VALUES (?,?,?,?,?)",
                    [(c.chunk_id, c.doc_id, c.index, c.heading, c.text) for c in chunks],
                )
            self._bump(conn, [doc.doc_id])

    def delete(self, doc_ids: Iterable[str]) -> int:
        ids = list(doc_ids)
        if not ids:
            return 0
        with self.db.transaction() as conn:
            n = 0
            for doc_id in ids:
                n += conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
            self._bump(conn, ids)
        return n

    @staticmethod
    def _bump(conn: Any, doc_ids: builtins.list[str]) -> None:
        """The next generation, and which documents it changed (``changed`` reads them back)."""
        row = conn.execute(
            "INSERT INTO kv (key, value) VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(CAST(kv.value AS INTEGER) + 1 AS TEXT) RETURNING value"
        ).fetchone()
        generation = int(row[0])
        conn.execute(
            "INSERT INTO changes (generation, doc_ids) VALUES (?, ?)", (generation, json.dumps(doc_ids))
        )
        conn.execute("DELETE FROM changes WHERE generation <= ?", (generation - CHANGES_KEPT,))

    # -- reads ----------------------------------------------------------------------------
    def generation(self) -> int:
        """A counter bumped by every write, so caches (BM25, doc map) know when to refresh."""
        row = self.db.execute("SELECT value FROM kv WHERE key = 'generation'").fetchone()
        return int(row["value"]) if row else 0

    def changed(self, since: int, until: int) -> set[str] | None:
        """The documents written or deleted by generations ``since`` (exclusive) to ``until``
        (inclusive), so a cache built at ``since`` can update just those; None when the log does
        not reach back that far (a store written before it existed, or more than CHANGES_KEPT
        writes ago): the cache must rebuild."""
        if until < since:
            return None
        rows = self.db.execute(
            "SELECT doc_ids FROM changes WHERE generation > ? AND generation <= ?", (since, until)
        ).fetchall()
        if len(rows) != until - since:
            return None
        return {d for r in rows for d in json.loads(r["doc_ids"])}

    def get(self, doc_id: str, *, with_text: bool = True) -> Document | None:
        """The record; without ``with_text`` its ``text`` is only the marker excerpt."""
        row = self.db.execute(
            f"SELECT record, {self._text_sql(with_text)} FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return self._to_doc(row, with_text) if row else None

    def list(
        self,
        *,
        source: str | None = None,
        owner: str | None = None,
        status: str | None = None,
        with_text: bool = False,
    ) -> list[Document]:
        """Records in doc id order; without ``with_text`` each ``text`` is only the marker excerpt."""
        sql = f"SELECT record, {self._text_sql(with_text)} FROM documents WHERE 1=1"
        params: list[object] = []
        for col, val in (("source", source), ("owner", owner), ("status", status)):
            if val is not None:
                sql += f" AND {col} = ?"
                params.append(val)
        sql += " ORDER BY doc_id"
        return [self._to_doc(r, with_text) for r in self.db.execute(sql, tuple(params))]

    def hashes(self, source: str) -> dict[str, tuple[str, str]]:
        """doc_id -> (content_hash, meta_hash) for every stored document of ``source``."""
        rows = self.db.execute(
            "SELECT doc_id, content_hash, meta_hash FROM documents WHERE source = ?", (source,)
        )
        return {r["doc_id"]: (r["content_hash"], r["meta_hash"]) for r in rows}

    def doc_ids(self) -> set[str]:
        return {r["doc_id"] for r in self.db.execute("SELECT doc_id FROM documents")}

    def chunk_ids(self) -> set[str]:
        return {r["chunk_id"] for r in self.db.execute("SELECT chunk_id FROM chunks")}

    def chunks(self) -> Iterator[Chunk]:
        """Every stored chunk, in a stable order (doc, index)."""
        rows = self.db.execute("SELECT chunk_id, doc_id, idx, heading, text FROM chunks ORDER BY doc_id, idx")
        for r in rows:
            yield Chunk(
                chunk_id=r["chunk_id"],
                doc_id=r["doc_id"],
                index=r["idx"],
                heading=r["heading"],
                text=r["text"],
            )

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> builtins.list[str]:
        """The chunk ids of these documents (one query per 500 documents)."""
        ids = builtins.list(doc_ids)
        out: builtins.list[str] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self.db.execute(
                f"SELECT chunk_id FROM chunks WHERE doc_id IN ({','.join('?' * len(part))})", tuple(part)
            )
            out += [r["chunk_id"] for r in rows]
        return out

    def chunks_for(self, doc_id: str) -> builtins.list[Chunk]:
        rows = self.db.execute(
            "SELECT chunk_id, doc_id, idx, heading, text FROM chunks WHERE doc_id = ? ORDER BY idx", (doc_id,)
        )
        return [
            Chunk(
                chunk_id=r["chunk_id"],
                doc_id=r["doc_id"],
                index=r["idx"],
                heading=r["heading"],
                text=r["text"],
            )
            for r in rows
        ]

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    @staticmethod
    def _text_sql(with_text: bool) -> str:
        # The full text is read only when asked for, or for a row whose excerpt predates the column.
        return (
            "text, NULL AS markers"
            if with_text
            else "CASE WHEN markers IS NULL THEN text END AS text, markers"
        )

    @staticmethod
    def _to_doc(row: Mapping[str, Any], with_text: bool) -> Document:
        data = json.loads(row["record"])
        if with_text:
            data["text"] = row["text"]
        else:
            markers = row["markers"]
            data["text"] = markers if markers is not None else marker_excerpt(row["text"])
        return Document.model_validate(data)
