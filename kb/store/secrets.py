"""Secret findings per document (table ``secret_findings``), for owners' digests.

Only masked previews are stored. A document's findings are replaced on every ingest that rewrites
it and go away with the document (ON DELETE CASCADE).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from kb.records import SecretFinding
from kb.store.db import Database
from kb.store.documents import SCHEMA as DOCUMENTS_SCHEMA

SCHEMA = """
CREATE TABLE IF NOT EXISTS secret_findings (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id    TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    line      INTEGER NOT NULL,
    preview   TEXT NOT NULL,
    field     TEXT NOT NULL,
    found_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS secret_findings_doc ON secret_findings(doc_id);
"""


class StoredFinding(BaseModel):
    doc_id: str
    title: str
    owner: str | None
    kind: str
    line: int
    preview: str
    field: str
    found_at: datetime


_SELECT = """SELECT f.doc_id, d.title, d.owner, f.kind, f.line, f.preview, f.field, f.found_at
             FROM secret_findings f JOIN documents d ON d.doc_id = f.doc_id"""


class SecretFindings:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(DOCUMENTS_SCHEMA)  # findings reference documents
        db.ensure_schema(SCHEMA)

    def replace(self, doc_id: str, findings: list[SecretFinding], now: datetime | None = None) -> None:
        """Set ``doc_id``'s findings to ``findings`` (the document must be stored)."""
        at = (now or datetime.now(UTC)).isoformat()
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM secret_findings WHERE doc_id = ?", (doc_id,))
            conn.executemany(
                "INSERT INTO secret_findings (doc_id, kind, line, preview, field, found_at) "
                "VALUES (?,?,?,?,?,?)",
                [(doc_id, f.kind, f.line, f.preview, f.field, at) for f in findings],
            )

    def _select(self, where: str = "", params: tuple[object, ...] = ()) -> list[StoredFinding]:
        rows = self.db.execute(f"{_SELECT} {where} ORDER BY f.doc_id, f.field, f.line", params)
        return [StoredFinding.model_validate(dict(r)) for r in rows]

    def for_doc(self, doc_id: str) -> list[StoredFinding]:
        return self._select("WHERE f.doc_id = ?", (doc_id,))

    def for_owner(self, owner: str) -> list[StoredFinding]:
        return self._select("WHERE lower(d.owner) = lower(?)", (owner,))

    def all(self) -> list[StoredFinding]:
        return self._select()
