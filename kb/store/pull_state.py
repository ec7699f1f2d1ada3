"""What the API pullers remember between runs, per configured source: each document as last
pulled (with the source's change stamp, e.g. Notion's ``last_edited_time`` or Drive's
``version``) and cursors such as Drive's ``changes.list`` page token.

This is the source's side of an incremental pull: a document whose stamp did not change is
taken from here instead of being fetched again, so every pull still hands the pipeline the
complete set of documents (and the pipeline's own diff embeds nothing that did not change).
Rows are the documents as the puller built them, before rules but after secret redaction
(``kb.redaction``), with what was found (``findings_json``): the data directory never holds a raw
secret, and a page rebuilt from its row reports the same findings as when it was fetched. ``save``
redacts whatever it is given again (idempotent, so a no-op for a puller's redacted documents), and
migration 14 redacted rows stored before. Rows are replaced only after a pull has read them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kb.records import Document, SecretFinding
from kb.redaction import redact_document
from kb.store.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS pull_docs (
    source_name  TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    stamp        TEXT NOT NULL,
    doc_json     TEXT NOT NULL,
    findings_json TEXT NOT NULL DEFAULT '[]',
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

    def findings(self) -> dict[str, list[SecretFinding]]:
        """Secrets found in each stored document when it was fetched (only those with any)."""
        rows = self.db.execute(
            "SELECT doc_id, findings_json FROM pull_docs WHERE source_name = ? AND findings_json != '[]'",
            (self.name,),
        )
        return {r["doc_id"]: _findings(r["findings_json"]) for r in rows}

    def save(
        self,
        docs: Iterable[tuple[Document, str]],
        *,
        findings: Mapping[str, Sequence[SecretFinding]] | None = None,
        drop: Iterable[str] = (),
    ) -> None:
        """Store documents with their stamps and the secrets found in them (``findings`` by doc
        id), and forget ``drop``, in one transaction. A document is redacted again before it is
        written, so a caller that forgot cannot store a raw secret."""
        rows = []
        for doc, stamp in docs:
            safe, found = redact_document(doc)
            kept = [*(findings or {}).get(doc.doc_id, ()), *found]
            rows.append((self.name, doc.doc_id, stamp, safe.model_dump_json(), _dump(kept)))
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO pull_docs (source_name, doc_id, stamp, doc_json, findings_json) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(source_name, doc_id) DO UPDATE SET stamp = excluded.stamp, "
                "doc_json = excluded.doc_json, findings_json = excluded.findings_json",
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


def _dump(findings: Sequence[SecretFinding]) -> str:
    return json.dumps([f.model_dump() for f in findings])


def _findings(raw: str) -> list[SecretFinding]:
    return [SecretFinding.model_validate(f) for f in json.loads(raw)]


def redact_stored(db: Database, conn: Any) -> None:
    """Migration 14: add ``findings_json`` and redact the rows stored raw before it."""
    if "findings_json" not in db.columns("pull_docs", conn):
        conn.execute("ALTER TABLE pull_docs ADD COLUMN findings_json TEXT NOT NULL DEFAULT '[]'")
    if db.dialect == "sqlite":  # overwrite the raw rows' bytes rather than leave them in free pages
        conn.execute("PRAGMA secure_delete = ON")
    rows = conn.execute("SELECT source_name, doc_id, doc_json FROM pull_docs").fetchall()
    fixed = []
    for r in rows:
        safe, found = redact_document(Document.model_validate_json(r["doc_json"]))
        if found:
            fixed.append((safe.model_dump_json(), _dump(found), r["source_name"], r["doc_id"]))
    conn.executemany(
        "UPDATE pull_docs SET doc_json = ?, findings_json = ? WHERE source_name = ? AND doc_id = ?", fixed
    )
