"""DocumentStore (on SQLite and PostgreSQL): records read without text carry the
freshness-marker excerpt, also in stores created before the ``markers`` column existed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kb.config import Settings
from kb.lifecycle.freshness import assess
from kb.records import MARKER_WINDOW, Document
from kb.store.db import Database
from kb.store.documents import DocumentStore

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TEXT = (
    "> This page is deprecated. Use the new VPN guide.\n\n"
    + "Install the client. " * 200
    + "\n## Old notes\n"
)


def vpn() -> Document:
    return Document(
        doc_id="notion:vpn",
        source="notion",
        title="VPN Setup",
        text=TEXT,
        last_reviewed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def test_records_without_text_carry_the_marker_excerpt(open_db: Callable[[], Database]) -> None:
    store = DocumentStore(open_db())
    store.upsert(vpn())
    listed = store.list()[0]
    assert listed.text.startswith("> This page is deprecated") and "# Old notes" in listed.text
    assert len(listed.text) < len(TEXT) and len(listed.text) <= MARKER_WINDOW + len("\n# Old notes")
    assert store.get("notion:vpn", with_text=False) == listed
    assert store.get("notion:vpn").text == TEXT  # type: ignore[union-attr]
    full = assess(vpn(), NOW, Settings())
    assert full.status == "deprecated" and assess(listed, NOW, Settings()) == full


def test_a_store_from_before_the_markers_column_is_migrated(open_db: Callable[[], Database]) -> None:
    db = open_db()
    db.execute(
        """CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, owner TEXT,
           status TEXT NOT NULL, title TEXT NOT NULL, record TEXT NOT NULL, text TEXT NOT NULL,
           content_hash TEXT NOT NULL, meta_hash TEXT NOT NULL, ingested_at TEXT NOT NULL)"""
    )
    doc = vpn()
    db.execute(
        "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            doc.doc_id,
            "notion",
            None,
            "active",
            doc.title,
            doc.model_dump_json(exclude={"text"}),
            TEXT,
            "h",
            "m",
            "t",
        ),
    )
    store = DocumentStore(db)
    assert assess(store.list()[0], NOW, Settings()).status == "deprecated"
    db.execute("UPDATE documents SET markers = NULL")  # a row written by an older process
    assert assess(store.list()[0], NOW, Settings()).status == "deprecated"
    assert store.get(doc.doc_id).text == TEXT  # type: ignore[union-attr]


def test_changed_names_the_documents_each_generation_wrote(tmp_path: Path) -> None:
    store = DocumentStore(Database(tmp_path / "changes.sqlite"))
    g0 = store.generation()
    for d in ("a", "b", "c"):
        store.upsert(Document(doc_id=d, source="notion", title=d, text=d))
    g1 = store.generation()
    store.delete(["a", "b"])
    store.upsert(Document(doc_id="c", source="notion", title="c2", text="c"))
    g2 = store.generation()
    assert (g1 - g0, g2 - g1) == (3, 2)
    assert store.changed(g0, g1) == {"a", "b", "c"}
    assert store.changed(g1, g2) == {"a", "b", "c"}
    assert store.changed(g1 + 1, g2) == {"c"}
    assert store.changed(g2, g2) == set()
    assert store.changed(g2, g1) is None  # backwards: nothing to tell
    store.db.execute("DELETE FROM changes WHERE generation = ?", (g1,))
    assert store.changed(g0, g2) is None  # the log has a gap: a cache must rebuild
    assert store.changed(g1, g2) == {"a", "b", "c"}
