"""``kb search``: the principal from the config's tokens, JSON and human output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.cli.search import ANONYMOUS, principal_for
from kb.config import AuthSettings, load_settings
from kb.records import Document, SourceBatch
from kb.runtime import Runtime

CONFIG = """
[data]
dir = "data"

[auth]
admin_groups = ["kb-admins"]

[[auth.tokens]]
sha256 = "{digest}"
user = "Fin@Acme.test"
groups = ["Finance"]

[[auth.tokens]]
sha256 = "{digest}"
user = "boss@acme.test"
groups = ["kb-admins"]
"""


def test_principal_for_uses_token_entries() -> None:
    auth = AuthSettings.model_validate(
        {
            "tokens": [
                {"sha256": "0" * 64, "user": "Fin@Acme.test", "groups": ["Finance"]},
                {"sha256": "1" * 64, "user": "boss@acme.test", "groups": ["kb-admins"]},
            ]
        }
    )
    fin = principal_for("fin@acme.test", auth)
    assert (fin.user, fin.groups, fin.admin) == ("fin@acme.test", frozenset({"finance"}), False)
    assert principal_for("boss@acme.test", auth).admin
    stranger = principal_for("eve@acme.test", auth)
    assert (stranger.groups, stranger.admin) == (frozenset(), False)
    assert principal_for(None, auth).user == ANONYMOUS


class Reader:
    def read(self, path: Path) -> SourceBatch:
        at = datetime(2026, 10, 1, tzinfo=UTC)
        return SourceBatch(
            source="notion",
            identity=["test-export"],
            documents=[
                Document(
                    doc_id="notion:" + "1" * 32,
                    source="notion",
                    title="Payroll Calendar",
                    text="Payroll runs on the 28th of every month.",
                    last_reviewed_at=at,
                    acl=["group:finance"],
                    owner="fin@acme.test",
                ),
                Document(
                    doc_id="notion:" + "2" * 32,
                    source="notion",
                    title="Office Hours",
                    text="The office opens at 8 and payroll questions go to HR.",
                    last_reviewed_at=datetime(2022, 1, 1, tzinfo=UTC),
                    owner="hr@acme.test",
                ),
            ],
        )


@pytest.mark.slow
def test_kb_search_json_and_human_output(tmp_path: Path, embedder: Any) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(digest="a" * 64))
    rt = Runtime(load_settings(config), embedder=embedder)
    rt.ingester({"notion": lambda _s: Reader()}).ingest("notion", tmp_path)
    rt.close()
    runner = CliRunner()

    insider = runner.invoke(
        app, ["search", "when does payroll run", "--config", str(config), "--as", "fin@acme.test", "--json"]
    )
    assert insider.exit_code == 0, insider.output
    data = json.loads(insider.stdout)
    assert data["results"][0]["title"] == "Payroll Calendar"  # the API's SearchResponse

    outsider = runner.invoke(
        app, ["search", "when does payroll run", "--config", str(config), "--top-k", "3"]
    )
    assert outsider.exit_code == 0, outsider.output
    assert "Payroll Calendar" not in outsider.stdout
    assert "1. Office Hours  [OVERDUE" in outsider.stdout
    assert "owner: hr@acme.test" in outsider.stdout
    assert "warning: 'Office Hours' is the best match" in outsider.stdout

    empty = runner.invoke(app, ["search", "  ", "--config", str(config)])
    assert empty.exit_code == 2
    assert "query: the query is empty" in empty.output
