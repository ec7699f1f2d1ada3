"""``kb migrate``: schema versions of the configured store, and ``--to postgresql://…`` copying a
SQLite installation into a real PostgreSQL with the counts verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.config import settings_from_dict
from kb.runtime import Runtime
from kb.store.migrations import LATEST
from tests.kb.store.test_copy import fill
from tests.postgres import PASSWORD_ENV, PostgresServer


def _sqlite_install(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n\n[store]\npassword_env = "{PASSWORD_ENV}"\n')
    rt = Runtime(settings_from_dict({"data": {"dir": str(tmp_path / "data")}}))
    fill(rt.db)
    rt.close()
    return config


def test_migrate_reports_the_schema_version(tmp_path: Path) -> None:
    config = _sqlite_install(tmp_path)
    out = CliRunner().invoke(app, ["migrate", "-c", str(config), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["versions"] == list(range(1, LATEST + 1))


@pytest.mark.slow
def test_migrate_to_postgresql_copies_and_verifies(tmp_path: Path, postgres: PostgresServer) -> None:
    config = _sqlite_install(tmp_path)
    url = postgres.create_database()
    out = CliRunner().invoke(app, ["migrate", "-c", str(config), "--to", url, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["ok"] and report["destination"] == url
    counts = {t["table"]: (t["source"], t["destination"]) for t in report["tables"]}
    assert counts["documents"] == (3, 3) and counts["chunks"] == (6, 6) and counts["audit"] == (1, 1)

    again = CliRunner().invoke(app, ["migrate", "-c", str(config), "--to", url])
    assert again.exit_code == 2 and "not empty" in again.output and "refusing to merge" in again.output


def test_migrate_to_a_bad_url_names_it(tmp_path: Path) -> None:
    config = _sqlite_install(tmp_path)
    out = CliRunner().invoke(app, ["migrate", "-c", str(config), "--to", "mysql://kb@db/kb"])
    assert out.exit_code == 2 and "--to mysql://kb@db/kb" in out.output
