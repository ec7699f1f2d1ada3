"""What the API pullers remember between runs, per configured source: each document as last
pulled (with the source's change stamp, e.g. Notion's ``last_edited_time`` or Drive's
``version``) and cursors such as Drive's ``changes.list`` page token.

This is the source's side of an incremental pull: a document whose stamp did not change is
taken from here instead of being fetched again, so every pull still hands the pipeline the
complete set of documents (and the pipeline's own diff embeds nothing that did not change).
Rows are the raw documents as the puller built them, before rules and redaction, like an export
on disk; they are replaced only after a pull has read them.
"""

from __future__ import annotations

from collections.abc import Iterable

from kb.records import Document
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS pull_docs (
    source_name  TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    stamp        TEXT NOT NULL,
    doc_json     TEXT NOT NULL,
    PRIMARY KEY (source_name, doc_id)
);
CREATE TABLE IF NOT EXISTS pull_cursors (
    source_name  TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (source_name, key)
);
"""


class PullState:
    """Documents and cursors of one source (``[[sources]].name``)."""

    def __init__(self, db: Database, source_name: str) -> None:
        self.db = db
        self.name = source_name
        db.ensure_schema(SCHEMA)

    def stamps(self) -> dict[str, str]:
        rows = self.db.execute("SELECT doc_id, stamp FROM pull_docs WHERE source_name = ?", (self.name,))
        return {r["doc_id"]: r["stamp"] for r in rows}

    def document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_json FROM pull_docs WHERE source_name = ? AND doc_id = ?", (self.name, doc_id)
        ).fetchone()
        return Document.model_validate_json(row["doc_json"]) if row else None

    def documents(self) -> dict[str, Document]:
        rows = self.db.execute("SELECT doc_json FROM pull_docs WHERE source_name = ?", (self.name,))
        docs = (Document.model_validate_json(r["doc_json"]) for r in rows)
        return {d.doc_id: d for d in docs}

    def save(self, docs: Iterable[tuple[Document, str]], *, drop: Iterable[str] = ()) -> None:
        """Store documents with their stamps and forget ``drop``, in one transaction."""
        rows = [(self.name, d.doc_id, stamp, d.model_dump_json()) for d, stamp in docs]
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO pull_docs (source_name, doc_id, stamp, doc_json) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(source_name, doc_id) DO UPDATE SET stamp = excluded.stamp, "
                "doc_json = excluded.doc_json",
                rows,
            )
            conn.executemany(
                "DELETE FROM pull_docs WHERE source_name = ? AND doc_id = ?", [(self.name, d) for d in drop]
            )

    def cursor(self, key: str) -> str | None:
        row = self.db.execute(
            "SELECT value FROM pull_cursors WHERE source_name = ? AND key = ?", (self.name, key)
        ).fetchone()
        return str(row["value"]) if row else None

    def set_cursor(self, key: str, value: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO pull_cursors (source_name, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT(source_name, key) DO UPDATE SET value = excluded.value",
                (self.name, key, value),
            )
