"""Issue 11, case 5 end to end: secrets in a Drive export's file name, folder name, description,
properties, title and text never reach the data directory. The whole data directory (SQLite with
its WAL, embedded Chroma's files) is read as bytes and searched for each raw secret; on
PostgreSQL, every row of every table too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.runtime import Runtime
from kb.store.db import open_database
from tests.kb.ingest.test_secrets import AWS, GITHUB, JWT, SLACK, STRIPE

pytestmark = pytest.mark.slow


def _export(folder: Path) -> None:
    local = f"files/f1/deploy {AWS}.md"
    (folder / local).parent.mkdir(parents=True)
    (folder / local).write_text(f"# Deploy {GITHUB}\n\nRotate the key {SLACK} every quarter.\n")
    lines = [
        {
            "id": "d1",
            "name": f"Ops {STRIPE}",
            "mimeType": "application/vnd.google-apps.folder",
            "parents": ["root"],
        },
        {
            "id": "f1",
            "name": f"deploy {AWS}.md",
            "mimeType": "text/markdown",
            "parents": ["d1"],
            "x_local_path": local,
            "description": f"token {JWT}",
            "appProperties": {"note": f"api key {GITHUB}"},
            "modifiedTime": "2026-10-01T10:00:00Z",
        },
    ]
    (folder / "manifest.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")


def test_no_raw_secret_anywhere_in_the_data_directory(runtime: Runtime, tmp_path: Path) -> None:
    _export(tmp_path / "drive")
    report = runtime.ingester().ingest("drive", tmp_path / "drive")
    assert report.added == ["gdrive:f1"], report
    doc = runtime.documents.get("gdrive:f1")
    assert doc is not None and "[REDACTED:" in doc.source_path and "[REDACTED:" in doc.title
    runtime.close()
    files = [p for p in runtime.settings.data.dir.rglob("*") if p.is_file()]
    on_postgres = bool(runtime.settings.store.url)
    assert any(p.name == "chroma.sqlite3" for p in files)
    assert on_postgres or any(p.suffix == ".sqlite" for p in files)
    stored = _postgres_rows(runtime) if on_postgres else {}
    assert not on_postgres or stored["documents"]
    for secret in (AWS, GITHUB, SLACK, STRIPE, JWT):
        holders = [str(p) for p in files if secret.encode() in p.read_bytes()]
        holders += [table for table, blob in stored.items() if secret.encode() in blob]
        assert holders == [], (secret, holders)


def _postgres_rows(runtime: Runtime) -> dict[str, bytes]:
    """Every row of every table of the PostgreSQL store, as bytes (the store is not a file)."""
    db = open_database(runtime.settings)
    try:
        return {
            table: b"\n".join(
                v if isinstance(v, bytes) else str(v).encode()
                for row in db.execute(f"SELECT * FROM {table}")
                for v in row.values()
            )
            for table in db.tables()
        }
    finally:
        db.dispose()
