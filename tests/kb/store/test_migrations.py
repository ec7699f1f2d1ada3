"""Versioned schema migrations on SQLite and PostgreSQL: a fresh store, a store created by the
2026-12-02 schema (no migration table), a store from a newer FreshKB, several processes at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from kb.config import Settings
from kb.errors import StoreError
from kb.records import Document
from kb.store.audit import AuditEntry, AuditLog
from kb.store.db import Database, split_statements
from kb.store.documents import DocumentStore
from kb.store.migrations import BASELINE_SCRIPTS, LATEST, versions
from kb.store.pull_state import PullState
from kb.store.reviews import Review, ReviewStore

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _create_todays_schema(db: Database) -> None:
    """What a store written by the 2026-12-02 code holds: its tables, no ``schema_migrations``."""
    for script in BASELINE_SCRIPTS:
        for statement in split_statements(db.translate_ddl(script)):
            db.execute(statement)


def test_a_fresh_store_is_at_the_latest_version(open_db: Callable[[], Database]) -> None:
    db = open_db()
    assert db.migrate() == list(range(1, LATEST + 1))
    assert versions(db) == list(range(1, LATEST + 1))
    assert open_db().migrate() == []  # another process finds nothing to do
    assert {"documents", "chunks", "audit", "alert_history", "schema_migrations"} <= set(db.tables())


def test_a_store_created_by_todays_schema_is_adopted_with_its_rows(open_db: Callable[[], Database]) -> None:
    old = open_db()
    _create_todays_schema(old)
    assert "schema_migrations" not in old.tables()
    old.execute(
        "INSERT INTO documents (doc_id, source, owner, status, title, record, text, markers, "
        "content_hash, meta_hash, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            "notion:a",
            "notion",
            "ann@acme.test",
            "active",
            "A",
            Document(doc_id="notion:a", source="notion", title="A").model_dump_json(exclude={"text"}),
            "body",
            "body",
            "c",
            "m",
            NOW.isoformat(),
        ),
    )
    old.execute(
        "INSERT INTO reviews (doc_id, reviewer, reviewed_at) VALUES (?,?,?)",
        ("notion:a", "ann@acme.test", NOW.isoformat()),
    )

    db = open_db()
    store = DocumentStore(db)  # the first repository migrates
    assert versions(db) == list(range(1, LATEST + 1))
    assert [d.doc_id for d in store.list()] == ["notion:a"]
    reviews = ReviewStore(db)
    assert [r.reviewer for r in reviews.history("notion:a")] == ["ann@acme.test"]
    reviews.record(Review(doc_id="notion:a", reviewer="bob@acme.test", reviewed_at=NOW.replace(hour=13)))
    assert reviews.latest("notion:a").reviewer == "bob@acme.test"  # type: ignore[union-attr]
    AuditLog(db).record(AuditEntry(at=NOW, user="u", action="search", query="q", doc_ids=["notion:a"]))
    assert AuditLog(db).usage_counts(NOW) == {"notion:a": 1}


def test_a_store_from_a_newer_freshkb_is_refused(open_db: Callable[[], Database]) -> None:
    db = open_db()
    db.migrate()
    db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)",
        (LATEST + 1, "from the future", NOW.isoformat()),
    )
    with pytest.raises(StoreError, match=f"schema is version {LATEST + 1}, newer than this FreshKB"):
        DocumentStore(open_db())


def test_processes_starting_together_migrate_once(open_db: Callable[[], Database]) -> None:
    dbs = [open_db() for _ in range(4)]
    start = threading.Barrier(len(dbs))
    applied: list[list[int]] = []
    errors: list[Exception] = []

    def run(db: Database) -> None:
        start.wait()
        try:
            applied.append(db.migrate())
        except Exception as err:  # noqa: BLE001 (reported by the assertion below)
            errors.append(err)

    threads = [threading.Thread(target=run, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(applied) == [[], [], [], list(range(1, LATEST + 1))]
    rows = dbs[0].execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST + 1))


def test_pull_documents_stored_raw_before_migration_14_are_redacted(
    open_db: Callable[[], Database], settings: Settings
) -> None:
    """Issue 11: the pullers stored pages raw (secrets included) in ``pull_docs`` before 14; on
    SQLite the raw bytes are gone from the file too (``secure_delete``), not only from the rows."""
    db = open_db()
    db.migrate()
    db.execute("DROP TABLE pull_docs")  # the table as version 6 created it, holding a raw page
    db.execute(
        "CREATE TABLE pull_docs (source_name TEXT NOT NULL, doc_id TEXT NOT NULL, stamp TEXT NOT NULL, "
        "doc_json TEXT NOT NULL, PRIMARY KEY (source_name, doc_id))"
    )
    key, clean = "AKIAIOSFODNN7EXAMPLE", Document(doc_id="notion:b", source="notion", title="B", text="ok")
    raw = Document(doc_id="notion:a", source="notion", title=f"Keys {key}", text=f"key = {key}")
    db.execute(
        "INSERT INTO pull_docs (source_name, doc_id, stamp, doc_json) VALUES (?,?,?,?), (?,?,?,?)",
        ("wiki", "notion:a", "s1", raw.model_dump_json(), "wiki", "notion:b", "s2", clean.model_dump_json()),
    )
    db.execute("DELETE FROM schema_migrations WHERE version = 14")

    migrating = open_db()
    assert migrating.migrate() == [14]
    state = PullState(open_db(), "wiki")
    docs = state.documents()
    assert docs["notion:a"].title == "Keys [REDACTED:aws-access-key]" and key not in docs["notion:a"].text
    assert docs["notion:b"] == clean and state.stamps() == {"notion:a": "s1", "notion:b": "s2"}
    assert {(f.kind, f.field) for f in state.findings()["notion:a"]} == {
        ("aws-access-key", "text"),
        ("aws-access-key", "title"),
    }
    assert "notion:b" not in state.findings()
    if not settings.store.url:
        for opened in (db, migrating, state.db):  # the last one out checkpoints the WAL
            opened.dispose()
        files = [
            p for p in settings.store_path.parent.iterdir() if p.name.startswith(settings.store_path.name)
        ]
        assert files and [p.name for p in files if key.encode() in p.read_bytes()] == []
