"""A store written by the 2026-12-03 code (main 0b0762b, before migrations existed) is adopted
with every row, and ``kb migrate --to`` moves it into PostgreSQL.

``fixtures/store-2026-12-03.sqlite`` was created by that commit's own code paths (its ingest of the
bundled examples, its repositories; ``fixtures/make_store_2026_12_03.py``), not a schema written
for the test.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.feedback import Feedback, FeedbackStore
from kb.store.migrations import LATEST, versions
from kb.store.pull_state import PullState
from kb.store.review_links import UsedLinks
from kb.store.reviews import ReviewStore
from kb.store.tombstones import Tombstones
from tests.postgres import PASSWORD_ENV, PostgresServer

FIXTURE = Path(__file__).parent / "fixtures" / "store-2026-12-03.sqlite"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _legacy(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "kb.sqlite"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURE, path)
    return path


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}
    finally:
        conn.close()


def test_the_fixture_is_a_store_from_before_migrations() -> None:
    counts = _counts(FIXTURE)
    assert "schema_migrations" not in counts
    for table in ("documents", "chunks", "tombstones", "feedback", "pull_docs", "used_review_links"):
        assert counts[table] > 0, table


def test_a_store_from_the_2026_12_03_code_is_adopted_with_every_row(tmp_path: Path) -> None:
    path = _legacy(tmp_path)
    before = _counts(path)
    db = Database(path)
    docs = DocumentStore(db)  # the first repository migrates
    assert versions(db) == list(range(1, LATEST + 1))
    after = _counts(path)
    assert after.pop("schema_migrations") == LATEST
    added_since = {t: after.pop(t) for t in set(after) - set(before)}
    assert added_since == dict.fromkeys(added_since, 0)  # tables of later migrations, empty
    assert after == before
    assert docs.count() == before["documents"] and len(list(docs.chunks())) == before["chunks"]
    assert all(d.text for d in docs.list())  # marker excerpts read as before
    assert Tombstones(db).chunks("notion:gone")[0].vector == [0.5, -1.0]
    assert PullState(db, "wiki").cursor("drive_changes") == "page-7"
    assert UsedLinks(db).used_at("link-token") == NOW
    # the adopted store keeps working: new rows continue after the old ids
    added = FeedbackStore(db).add(Feedback(at=NOW, user="v@x", question="q2", answer="a2", rating="up"))
    assert added.id == 2
    assert len(ReviewStore(db).latest_all()) == 1
    db.dispose()


@pytest.mark.slow
def test_kb_migrate_moves_the_2026_12_03_store_into_postgresql(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    path = _legacy(tmp_path)
    before = _counts(path)
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{path.parent}"\n\n[store]\npassword_env = "{PASSWORD_ENV}"\n')
    url = postgres.create_database()
    out = CliRunner().invoke(app, ["migrate", "-c", str(config), "--to", url, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["ok"]
    copied = {t["table"]: t["destination"] for t in report["tables"]}
    skipped = {"leases", "alert_lock", "sqlite_sequence"}
    added_since = {t: copied.pop(t) for t in set(copied) - set(before)}
    assert added_since == dict.fromkeys(added_since, 0)  # tables of later migrations, empty
    assert copied == {t: n for t, n in before.items() if t not in skipped}

    pg = Database(url, password=postgres.password)
    try:
        assert versions(pg) == list(range(1, LATEST + 1))
        source = Database(path)
        assert DocumentStore(pg).list(with_text=True) == DocumentStore(source).list(with_text=True)
        assert Tombstones(pg).chunks("notion:gone") == Tombstones(source).chunks("notion:gone")
        assert FeedbackStore(pg).list() == FeedbackStore(source).list()
        source.dispose()
    finally:
        pg.dispose()
