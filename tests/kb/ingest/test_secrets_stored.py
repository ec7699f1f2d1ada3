"""Issue 11, case 5 end to end: secrets in a Drive export's file name, folder name, description,
properties, title and text never reach the data directory; nor from a Notion export, a Notion pull
or a Drive pull (the pullers keep each page in ``pull_docs`` between runs: it is redacted before
it is stored, and a second pull re-embeds nothing and keeps the findings). The whole data
directory (SQLite with its WAL, embedded Chroma's files) is read as bytes and searched for each
raw secret; on PostgreSQL, every row of every table too."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.clock import FixedClock
from kb.config import Settings, settings_from_dict
from kb.ingest.pull import pull
from kb.runtime import Runtime
from kb.search.embedding import Embedder
from kb.store.db import open_database
from kb.store.secrets import SecretFindings
from tests.conftest import EXAMPLE_NOW
from tests.ingestors.drive_server import DriveServer, DriveState
from tests.ingestors.notion_server import NotionServer, NotionState
from tests.ingestors.notion_workspace import DEPLOY, ENG, RUNBOOKS, block, export_files, hexid, rt, workspace
from tests.ingestors.test_drive_api import DRIVE, KEY, fill, service_account_file
from tests.kb.ingest.test_secrets import AWS, GITHUB, JWT, SLACK, STRIPE

SECRETS = (AWS, GITHUB, SLACK, STRIPE, JWT)

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
    assert_nowhere(runtime, SECRETS)


def assert_nowhere(runtime: Runtime, secrets: tuple[str, ...], tables: tuple[str, ...] = ()) -> None:
    """No file of the data directory, and no row of the PostgreSQL store, holds a raw secret;
    ``tables`` must hold rows (so the search covers what the test wrote)."""
    files = [p for p in runtime.settings.data.dir.rglob("*") if p.is_file()]
    on_postgres = bool(runtime.settings.store.url)
    assert any(p.name == "chroma.sqlite3" for p in files)
    assert on_postgres or any(p.suffix == ".sqlite" for p in files)
    stored = _postgres_rows(runtime) if on_postgres else {}
    assert not on_postgres or all(stored[t] for t in ("documents", *tables))
    for secret in secrets:
        holders = [str(p) for p in files if secret.encode() in p.read_bytes()]
        holders += [table for table, blob in stored.items() if secret.encode() in blob]
        assert holders == [], (secret, holders)


def with_source(settings: Settings, source: dict[str, Any]) -> Settings:
    """The test's settings (its data dir and store backend) with one ``[[sources]]`` entry."""
    out = settings_from_dict({"data": {"dir": str(settings.data.dir)}, "sources": [source]})
    out.store = settings.store
    return out


def kinds(runtime: Runtime, doc_id: str) -> list[tuple[str, str]]:
    return sorted((f.kind, f.field) for f in SecretFindings(runtime.db).all() if f.doc_id == doc_id)


def test_a_notion_export_stores_no_raw_secret(runtime: Runtime, tmp_path: Path) -> None:
    files = export_files("Export-1")
    runbooks = next(name for name in files if f"Runbooks {hexid(RUNBOOKS)}" in name)
    files[runbooks.replace("Runbooks", f"Runbooks {AWS}")] = (
        f"# Runbooks {AWS}\n\nToken {GITHUB} for the bot, webhook signing {SLACK}.\n\nStripe: {STRIPE}"
        f"\n\nSession {JWT}"
    )
    del files[runbooks]
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    report = runtime.ingester().ingest("notion", tmp_path / "export.zip")
    doc_id = f"notion:{hexid(RUNBOOKS)}"
    assert doc_id in report.added, report
    doc = runtime.documents.get(doc_id)
    assert doc is not None and doc.title == "Runbooks [REDACTED:aws-access-key]"
    assert "[REDACTED:" in doc.source_path
    assert {k for k, _ in kinds(runtime, doc_id)} == {
        "aws-access-key",
        "github-token",
        "slack-token",
        "stripe-key",
        "jwt",
    }
    runtime.close()
    assert_nowhere(runtime, SECRETS)


@pytest.fixture
def notion_server() -> Iterator[NotionServer]:
    state = workspace(NotionState("secret_test_token"))
    state.pages[ENG]["properties"]["title"]["title"] = [rt(f"Engineering {STRIPE}")]  # a breadcrumb
    state.blocks[RUNBOOKS].append(block("paragraph", f"The bot token is {GITHUB}, the webhook {SLACK}."))
    state.pages[DEPLOY]["properties"]["Notes"] = {
        "id": "n",
        "type": "rich_text",
        "rich_text": [rt(f"key {AWS}")],
    }
    state.pages[DEPLOY]["properties"]["Tags"]["multi_select"].append({"name": f"jwt {JWT}"})
    with NotionServer(state) as srv:
        yield srv


def test_a_notion_pull_stores_no_raw_secret_and_the_next_pull_embeds_nothing(
    settings: Settings, embedder: Embedder, notion_server: NotionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", "secret_test_token")
    source = {
        "name": "wiki",
        "kind": "notion",
        "api_url": notion_server.url,
        "token_env": "KB_TEST_NOTION_TOKEN",
    }
    source |= {"roots": [hexid(ENG)], "requests_per_second": 100, "backoff_s": 0.01}
    runtime = Runtime(with_source(settings, source), embedder=embedder, clock=FixedClock(EXAMPLE_NOW))
    try:
        first = pull(runtime.ingester(), "wiki")
        runbooks, deploy = f"notion:{hexid(RUNBOOKS)}", f"notion:{hexid(DEPLOY)}"
        assert runbooks in first.added and deploy in first.added, first
        found = {i: kinds(runtime, i) for i in (runbooks, deploy)}
        assert ("github-token", "text") in found[runbooks] and ("stripe-key", "path") in found[runbooks]
        assert {k for k, _ in found[deploy]} >= {"aws-access-key", "jwt"}, found
        doc = runtime.documents.get(runbooks)
        assert doc is not None and doc.path == ["Engineering [REDACTED:stripe-key]"]

        again = pull(runtime.ingester(), "wiki")  # unchanged pages are rebuilt from the pull state
        assert again.added == again.updated == again.removed == [] and again.chunks_embedded == 0, again
        assert {i: kinds(runtime, i) for i in found} == found
    finally:
        runtime.close()
    assert_nowhere(runtime, SECRETS, tables=("pull_docs",))


@pytest.fixture
def drive_server() -> Iterator[DriveServer]:
    state = fill(DriveState(public_key=KEY.public_key()))
    state.add(
        {
            "id": "fOps",
            "name": f"Ops {STRIPE}",
            "mimeType": "application/vnd.google-apps.folder",
            "parents": [DRIVE],
            "driveId": DRIVE,
        }
    )
    state.add(
        {
            "id": "k1",
            "name": f"keys {AWS}.md",
            "mimeType": "text/markdown",
            "parents": ["fOps"],
            "driveId": DRIVE,
            "description": f"token {JWT}",
            "appProperties": {"note": f"api key {GITHUB}"},
            "modifiedTime": "2026-10-01T10:00:00.000Z",
        },
        content=f"# Keys\n\nRotate {SLACK} every quarter.\n".encode(),
    )
    with DriveServer(state) as srv:
        yield srv


def test_a_drive_pull_stores_no_raw_secret_and_the_next_pull_embeds_nothing(
    settings: Settings, embedder: Embedder, drive_server: DriveServer, tmp_path: Path
) -> None:
    source = {"name": "gdrive", "kind": "drive", "api_url": drive_server.url, "drives": [DRIVE]}
    source |= {"credentials_file": str(service_account_file(tmp_path, drive_server))}
    source |= {"requests_per_second": 100, "backoff_s": 0.01}
    runtime = Runtime(with_source(settings, source), embedder=embedder, clock=FixedClock(EXAMPLE_NOW))
    try:
        first = pull(runtime.ingester(), "gdrive")
        assert "gdrive:k1" in first.added, first
        found = kinds(runtime, "gdrive:k1")
        assert {k for k, _ in found} == {"aws-access-key", "github-token", "slack-token", "stripe-key", "jwt"}
        assert ("slack-token", "text") in found

        again = pull(runtime.ingester(), "gdrive")  # the changes feed is empty: all from the pull state
        assert again.added == again.updated == again.removed == [] and again.chunks_embedded == 0, again
        drive_server.state.change("k1")  # refetched: the same findings, nothing new to embed
        third = pull(runtime.ingester(), "gdrive")
        assert third.chunks_embedded == 0 and kinds(runtime, "gdrive:k1") == found, third
    finally:
        runtime.close()
    assert_nowhere(runtime, SECRETS, tables=("pull_docs",))


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
