"""The CLI and the API agree: ``kb search --json`` is ``POST /v1/search``'s body for the same
principal, ``kb docs --status`` takes ``GET /v1/docs``'s statuses and lists the same documents,
the same ``top_k`` bound, CLI searches are audited; ``kb --version``; help keeps config names."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kb import __version__
from kb.api.app import create_app
from kb.auth import hash_token
from kb.cli import app
from kb.config import load_settings
from kb.runtime import Runtime
from kb.store.audit import AuditLog
from tests.conftest import ROOT
from tests.kb.cli.test_search import CONFIG, Reader

TOKEN = "fin-token"


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(digest=hash_token(TOKEN)) + extra)
    return config


def test_version_is_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert result.exit_code == 0
    assert result.stdout.strip() == f"kb (FreshKB) {project['version']}" == f"kb (FreshKB) {__version__}"


def test_help_keeps_config_table_names() -> None:
    runner = CliRunner()
    assert "[[auth.tokens]]" in runner.invoke(app, ["search", "--help"], terminal_width=200).stdout
    assert "[retrieval]" in runner.invoke(app, ["eval", "run", "--help"], terminal_width=200).stdout


def test_docs_rejects_a_status_the_api_rejects(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["docs", "--status", "stale", "-c", str(_config(tmp_path))])
    assert result.exit_code == 2
    assert "--status: unknown status 'stale'; use one of active, archived, deprecated, draft, due_soon" in (
        result.output
    )
    assert not (tmp_path / "data").exists()  # rejected before the store was opened


def test_search_top_k_bound_is_the_apis(tmp_path: Path) -> None:
    config = _config(tmp_path, "\n[api]\nmax_top_k = 3\n")
    result = CliRunner().invoke(app, ["search", "payroll", "--top-k", "4", "-c", str(config)])
    assert result.exit_code == 2
    assert "top_k: 'top_k' must be between 1 and 3" in result.output


@pytest.mark.slow
def test_loading_the_model_prints_no_progress_bar() -> None:
    code = (
        "from kb.config import ModelSettings\n"
        "from kb.search.embedding import SentenceTransformerEmbedder\n"
        "SentenceTransformerEmbedder(ModelSettings())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Loading weights" not in proc.stderr and proc.stderr.strip() == ""


def _without_timing(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "took_ms"}


@pytest.mark.slow
def test_cli_and_api_answer_alike(tmp_path: Path, embedder: Any) -> None:
    config = _config(tmp_path)
    rt = Runtime(load_settings(config), embedder=embedder)
    rt.ingester({"notion": lambda _s: Reader()}).ingest("notion", tmp_path)
    runner = CliRunner()
    query = "when does payroll run"
    try:
        cli = runner.invoke(app, ["search", query, "-c", str(config), "--as", "FIN@acme.test", "--json"])
        assert cli.exit_code == 0, cli.output
        with TestClient(create_app(rt, warm=False)) as client:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            api = client.post("/v1/search", json={"query": query}, headers=auth)
            assert api.status_code == 200
            cli_body = json.loads(cli.stdout)
            assert _without_timing(cli_body) == _without_timing(api.json())
            first = cli_body["results"][0]
            assert (first["title"], first["status"], first["doc_status"]) == (
                "Payroll Calendar",
                "fresh",
                "active",
            )

            listed = runner.invoke(app, ["docs", "--status", "overdue", "--json", "-c", str(config)])
            assert listed.exit_code == 0, listed.output
            api_docs = client.get("/v1/docs", params={"status": "overdue"}, headers=auth).json()
        cli_ids = [d["doc_id"] for d in json.loads(listed.stdout)]
        # The CLI lists every document; the API what this reader may read (Office Hours is open).
        assert cli_ids == [d["doc_id"] for d in api_docs["documents"]] == ["notion:" + "2" * 32]
        rt.audit.flush()  # the API's entry is queued off the request path
        searches = [e for e in AuditLog(rt.db).entries(user="fin@acme.test") if e.action == "search"]
        assert len(searches) == 2  # one from the CLI, one from the API
        assert {tuple(e.doc_ids) for e in searches} == {tuple(r["doc_id"] for r in cli_body["results"])}
    finally:
        rt.close()
