"""``kb pull``: a configured source through the CLI, unknown names, refused tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from tests.ingestors.notion_server import NotionServer, NotionState
from tests.ingestors.notion_workspace import ENG, hexid, workspace

TOKEN = "secret_test_token"


@pytest.fixture
def server() -> Iterator[NotionServer]:
    with NotionServer(workspace(NotionState(TOKEN))) as srv:
        yield srv


def config(tmp_path: Path, server: NotionServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[data]\ndir = "{tmp_path / "data"}"\n\n'
        f'[[sources]]\nname = "wiki"\nkind = "notion"\napi_url = "{server.url}"\n'
        f'token_env = "KB_TEST_NOTION_TOKEN"\nroots = ["{hexid(ENG)}"]\nrequests_per_second = 100\n'
    )
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_unknown_source_name_is_an_error_naming_it(tmp_path: Path, server: NotionServer) -> None:
    code, _out, err = invoke("pull", "nope", "-c", str(config(tmp_path, server)))
    assert code == 2
    assert "no [[sources]] entry named 'nope' (wiki)" in err


def test_no_sources_configured(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[data]\ndir = "{tmp_path / "data"}"\n')
    code, _out, err = invoke("pull", "-c", str(tmp_path / "config.toml"))
    assert code == 2 and "no [[sources]] configured" in err


def test_refused_token_exits_2_naming_the_source(
    tmp_path: Path, server: NotionServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", "secret_revoked")
    code, _out, err = invoke("pull", "wiki", "-c", str(config(tmp_path, server)))
    assert code == 2
    assert (
        "error: source 'wiki': the Notion API refused the token in KB_TEST_NOTION_TOKEN "
        "(HTTP 401 unauthorized" in err
    )
    assert "nothing was ingested or removed" in err


@pytest.mark.slow
def test_pull_json_report(tmp_path: Path, server: NotionServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_TEST_NOTION_TOKEN", TOKEN)
    code, out, err = invoke("pull", "--json", "-c", str(config(tmp_path, server)))
    assert code == 0, err
    (report,) = json.loads(out)
    assert report["source"] == "notion" and report["input"] == "source 'wiki'"
    assert len(report["added"]) == 4 and report["failed"] == [] and report["chunks_embedded"] >= 4


def test_export_drive_writes_a_manifest_export(tmp_path: Path) -> None:
    from tests.ingestors.drive_server import DriveServer, DriveState
    from tests.ingestors.test_drive_api import DRIVE, KEY, fill, service_account_file

    with DriveServer(fill(DriveState(public_key=KEY.public_key()))) as srv:
        cfg = tmp_path / "config.toml"
        cfg.write_text(
            f'[data]\ndir = "{tmp_path / "data"}"\n\n[[sources]]\nname = "shared"\nkind = "drive"\n'
            f'api_url = "{srv.url}"\ncredentials_file = "{service_account_file(tmp_path, srv).name}"\n'
            f'drives = ["{DRIVE}"]\nrequests_per_second = 100\n'
        )
        code, out, err = invoke("export", "drive", str(tmp_path / "out"), "-c", str(cfg))
    assert code == 0, err
    assert f"drive export of source 'shared' written to {tmp_path / 'out'}" in out
    assert "warning: source 'shared': file big1 (Huge spec): too large for Drive's export" in out
    manifest = (tmp_path / "out" / "manifest.jsonl").read_text()
    assert '"x_local_path": "files/p1/Handbook.pdf"' in manifest
    assert (tmp_path / "out" / "files" / "p1" / "Handbook.pdf").read_bytes()[:4] == b"%PDF"


def test_export_of_anything_but_drive_is_refused(tmp_path: Path, server: NotionServer) -> None:
    code, _out, err = invoke("export", "notion", str(tmp_path / "out"), "-c", str(config(tmp_path, server)))
    assert code == 2 and "only 'drive' can be exported" in err
