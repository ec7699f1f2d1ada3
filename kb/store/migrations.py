"""Versioned schema migrations, the same numbered list for SQLite and PostgreSQL.

``schema_migrations`` holds one row per applied version. On first use in a process
``Database.migrate`` applies, in one write transaction (one writer at a time on both engines, so
two processes starting together do not both migrate), every version the store lacks:

1. the baseline: the tables of the 2026-12-02 schema, every statement ``CREATE ... IF NOT
   EXISTS``, so a store created by that schema (which has no ``schema_migrations`` table) is
   adopted as version 1 without touching its rows;
2. ``documents.markers``, filled from the stored texts, for stores older than that column.

A store whose newest version is above ``LATEST`` was written by a newer FreshKB: opening it is an
error naming the versions rather than a silent downgrade. A new schema change is a new entry at
the end; entries are never edited once released.

A repository that is not (yet) part of a migration still calls ``ensure_schema`` with its own
``CREATE ... IF NOT EXISTS`` script, which runs after these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from kb.errors import StoreError
from kb.records import marker_excerpt
from kb.store import alerts, audit, documents, locks, raw_hashes, reviews, secrets
from kb.store.db import Database, register_migrations, split_statements

TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
);
"""

# The repositories' own scripts as of the baseline; ensure_schema skips these once migrated.
BASELINE_SCRIPTS = (
    documents.SCHEMA,
    raw_hashes.SCHEMA,
    secrets.SCHEMA,
    reviews.SCHEMA,
    audit.SCHEMA,
    alerts.SCHEMA,
    locks.SCHEMA,
)


class Migration(NamedTuple):
    version: int
    name: str
    apply: Callable[[Database, Any], None]


def _baseline(db: Database, conn: Any) -> None:
    for script in BASELINE_SCRIPTS:
        for statement in split_statements(db.translate_ddl(script)):
            conn.execute(statement)


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
    Migration(1, "baseline: documents, raw hashes, findings, reviews, audit, alerts, leases", _baseline),
    Migration(2, "documents.markers filled from the texts", _documents_markers),
]
LATEST = MIGRATIONS[-1].version


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
            migration.apply(db, conn)
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


register_migrations(apply_migrations, BASELINE_SCRIPTS)
