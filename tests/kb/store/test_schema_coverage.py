"""Every table and column a ``kb.store`` repository declares is created by the numbered
migrations alone, on SQLite and on PostgreSQL.

The declared schema is read from the modules themselves (each module-level script holding a
``CREATE TABLE``), so a repository added later (successor decisions, near-duplicate groups,
report snapshots, ...) fails here, naming its table, until a migration creates it
(``kb/store/migrations.py`` says how to add one).
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from collections.abc import Callable

import pytest

import kb.store
from kb.store.db import Database
from kb.store.migrations import MIGRATIONS, SCRIPTS, add_column


def scripts() -> list[tuple[str, str]]:
    """(module, script) for every module-level DDL script in ``kb.store``."""
    found = []
    for info in pkgutil.iter_modules(kb.store.__path__):
        module = importlib.import_module(f"kb.store.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, str) and not name.startswith("__") and "CREATE TABLE" in value.upper():
                found.append((module.__name__, value))
    return found


def declared_schema() -> dict[str, tuple[str, set[str]]]:
    """table -> (the module declaring it, its columns), from every script in ``kb.store``."""
    tables: dict[str, tuple[str, set[str]]] = {}
    for module, script in scripts():
        scratch = sqlite3.connect(":memory:")
        scratch.executescript(script)
        for (name,) in scratch.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ):
            tables[name] = (module, {r[1] for r in scratch.execute(f"PRAGMA table_info({name})")})
        scratch.close()
    return tables


def test_the_scan_finds_the_repositories_tables() -> None:
    tables = declared_schema()
    for name in ("documents", "chunks", "audit", "tombstones", "feedback", "pull_docs", "schema_migrations"):
        assert name in tables
    assert tables["feedback"] == (
        "kb.store.feedback",
        {"id", "at", "user", "question", "answer", "doc_ids", "rating", "comment"},
    )


def test_migrations_create_every_declared_table_and_column(
    open_db: Callable[[], Database], store_backend: str
) -> None:
    db = open_db()
    db.migrate()  # migrations only: no repository has run its ensure_schema in this process
    created = set(db.tables())
    missing = [f"{t} (from {m})" for t, (m, _) in sorted(declared_schema().items()) if t not in created]
    assert not missing, f"not created by any migration on {store_backend}: {', '.join(missing)}"
    for table, (module, columns) in sorted(declared_schema().items()):
        lacking = sorted(columns - db.columns(table))
        assert not lacking, f"{table} (from {module}) lacks columns {lacking} on {store_backend}"


def test_versions_are_numbered_one_by_one_and_scripts_are_repository_schemas() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    declared = {script for _, script in scripts()}
    # ensure_schema skips exactly these scripts: each must be a repository's own, verbatim
    assert set(SCRIPTS) <= declared


def test_add_column_adds_once_and_keeps_rows(open_db: Callable[[], Database]) -> None:
    db = open_db()
    db.migrate()
    db.execute("INSERT INTO kv (key, value) VALUES (?, ?)", ("k", "v"))
    change = add_column("kv", "note", "TEXT NOT NULL DEFAULT ''")
    for _ in range(2):  # a second run (a branch's store that already has it) is a no-op
        with db.transaction() as conn:
            change(db, conn)
    assert "note" in db.columns("kv")
    assert [(r["key"], r["value"], r["note"]) for r in db.execute("SELECT key, value, note FROM kv")] == [
        ("k", "v", "")
    ]


@pytest.mark.parametrize("table", ["tombstone_chunks", "chunks"])
def test_foreign_keys_are_seen_on_both_backends(open_db: Callable[[], Database], table: str) -> None:
    db = open_db()
    db.migrate()
    parent = {"tombstone_chunks": "tombstones", "chunks": "documents"}[table]
    assert parent in db.references(table)
