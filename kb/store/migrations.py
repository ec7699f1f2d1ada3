"""Versioned schema migrations, the same numbered list for SQLite and PostgreSQL.

``schema_migrations`` holds one row per applied version. On first use in a process
``Database.migrate`` applies, in one write transaction (one writer at a time on both engines, so
two processes starting together do not both migrate), every version the store lacks:

1. the baseline: the tables of the 2026-12-02 schema, every statement ``CREATE ... IF NOT
   EXISTS``, so a store created before migrations existed (no ``schema_migrations`` table) is
   adopted as version 1 without touching its rows;
2. ``documents.markers``, filled from the stored texts, for stores older than that column;
3. to 13. one per table added since (export identities, tombstones, used review links, pull
   state, feedback, document changes, sentence vectors, inferred successors, successor
   decisions, near-duplicates, health snapshots), again ``IF NOT EXISTS``: a store
   created by the 2026-12-03 code, which has them but no ``schema_migrations``, is adopted;
14. ``pull_docs.findings_json``, and the pull state's documents, stored raw before, redacted.

A store whose newest version is above ``LATEST`` was written by a newer FreshKB: opening it is an
error naming the versions rather than a silent downgrade.

**Adding a table or a column** (one migration per change, appended, never edited once merged):

- a new table: write its ``SCHEMA`` in its repository module (SQLite dialect, ``CREATE TABLE IF
  NOT EXISTS``; ``INTEGER PRIMARY KEY AUTOINCREMENT``, ``REAL`` and ``BLOB`` are translated for
  PostgreSQL, quote reserved words such as ``"user"``), import the module here and append
  ``Migration(N, "<table>", (module.SCHEMA,))``;
- a new column: append ``Migration(N, "<table>.<column>", change=add_column("<table>",
  "<column>", "<type and default>"))``, and add the column to the module's ``SCHEMA`` too.

``tests/kb/store/test_schema_coverage.py`` fails, naming the table or column, when a repository
module's ``SCHEMA`` holds one the migrations do not create, on either backend. Repositories still
call ``ensure_schema(SCHEMA)``; a script that a migration ran is skipped there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from kb.errors import StoreError
from kb.records import marker_excerpt
from kb.store import (
    alerts,
    audit,
    documents,
    duplicates,
    export_ids,
    feedback,
    health_snapshots,
    inferred_successors,
    locks,
    pull_state,
    raw_hashes,
    review_links,
    reviews,
    secrets,
    sentence_vectors,
    successor_decisions,
    tombstones,
)
from kb.store.db import Database, register_migrations, split_statements

TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
);
"""

# The repositories' own scripts as of the baseline (the 2026-12-02 schema).
BASELINE_SCRIPTS = (
    documents.SCHEMA,
    raw_hashes.SCHEMA,
    secrets.SCHEMA,
    reviews.SCHEMA,
    audit.SCHEMA,
    alerts.SCHEMA,
    locks.SCHEMA,
)

Change = Callable[[Database, Any], None]


class Migration(NamedTuple):
    version: int
    name: str
    #: ``CREATE ... IF NOT EXISTS`` scripts it runs (ensure_schema skips them afterwards)
    scripts: tuple[str, ...] = ()
    #: anything else (a column, a data fix), run after the scripts in the same transaction
    change: Change | None = None


def add_column(table: str, column: str, definition: str) -> Change:
    """A change adding ``column`` to ``table`` unless it is already there (a store written by a
    branch that had it before the migration did)."""

    def change(db: Database, conn: Any) -> None:
        if column not in db.columns(table, conn):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    return change


def _documents_markers(db: Database, conn: Any) -> None:
    if "markers" in db.columns("documents", conn):
        return
    conn.execute("ALTER TABLE documents ADD COLUMN markers TEXT")
    rows = conn.execute("SELECT doc_id, text FROM documents").fetchall()
    conn.executemany(
        "UPDATE documents SET markers = ? WHERE doc_id = ?",
        [(marker_excerpt(r["text"]), r["doc_id"]) for r in rows],
    )


MIGRATIONS = [
    Migration(
        1, "baseline: documents, raw hashes, findings, reviews, audit, alerts, leases", BASELINE_SCRIPTS
    ),
    Migration(2, "documents.markers filled from the texts", change=_documents_markers),
    Migration(3, "export_identities", (export_ids.SCHEMA,)),
    Migration(4, "tombstones, tombstone_chunks", (tombstones.SCHEMA,)),
    Migration(5, "used_review_links", (review_links.SCHEMA,)),
    Migration(6, "pull_docs, pull_cursors", (pull_state.SCHEMA,)),
    Migration(7, "feedback", (feedback.SCHEMA,)),
    Migration(8, "changes", (documents.CHANGES_SCHEMA,)),
    Migration(9, "sentence_vectors", (sentence_vectors.SCHEMA,)),
    Migration(10, "inferred_successors", (inferred_successors.SCHEMA,)),
    Migration(11, "successor_decisions", (successor_decisions.SCHEMA,)),
    Migration(12, "near_duplicates", (duplicates.SCHEMA,)),
    Migration(13, "health_snapshots", (health_snapshots.SCHEMA,)),
    Migration(14, "pull_docs.findings_json; pull_docs redacted", change=pull_state.redact_stored),
]
LATEST = MIGRATIONS[-1].version
SCRIPTS = tuple(script for m in MIGRATIONS for script in m.scripts)


def _apply(db: Database, conn: Any, migration: Migration) -> None:
    for script in migration.scripts:
        for statement in split_statements(db.translate_ddl(script)):
            conn.execute(statement)
    if migration.change is not None:
        migration.change(db, conn)


def apply_migrations(db: Database) -> list[int]:
    """Apply what the store lacks; returns the versions applied (empty when up to date)."""
    applied: list[int] = []
    with db.transaction() as conn:
        for statement in split_statements(TABLE):
            conn.execute(statement)
        done = {int(r["version"]) for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        if done and max(done) > LATEST:
            raise StoreError(
                f"the store's schema is version {max(done)}, newer than this FreshKB knows "
                f"({LATEST}): upgrade FreshKB",
                subject=db.target,
            )
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            _apply(db, conn, migration)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
            applied.append(migration.version)
    return applied


def versions(db: Database) -> list[int]:
    """The versions recorded in the store, oldest first."""
    db.migrate()
    return [int(r["version"]) for r in db.execute("SELECT version FROM schema_migrations ORDER BY version")]


register_migrations(apply_migrations, SCRIPTS)
