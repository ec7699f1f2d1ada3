"""``kb alerts run``, ``kb stale`` and ``kb review`` through the real Typer app."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.config import load_settings
from kb.runtime import Runtime
from kb.store.alerts import AlertHistory
from kb.store.reviews import ReviewStore
from tests.kb.alerts.conftest import SIGNING_KEY, Mailbox, fill_store

CONFIG = """
[data]
dir = "data"

[[people]]
name = "Alice Adams"
email = "alice@acme.test"

[[people]]
name = "Carol Chen"
email = "carol@acme.test"
active = false

[alerts]
fallback_owner = "kb-admins@acme.test"

[alerts.smtp]
host = "127.0.0.1"
port = {port}
"""


@pytest.fixture
def config(tmp_path: Path, smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_SIGNING_KEY", SIGNING_KEY)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.replace("{port}", str(smtp_server[1])))
    rt = Runtime(load_settings(path))
    fill_store(rt, datetime.now(UTC))  # the CLI runs on the real clock
    rt.close()
    return path


@pytest.mark.slow
def test_dry_run_prints_what_would_be_sent_and_sends_nothing(
    config: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    result = CliRunner().invoke(app, ["alerts", "run", "--dry-run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "alerts dry run: nothing sent or recorded" in result.output
    assert "To: alice@acme.test (email alice@acme.test)" in result.output
    assert "Subject: FreshKB:" in result.output
    assert smtp_server[0].messages == []
    rt = Runtime(load_settings(config))
    assert AlertHistory(rt.db).deliveries() == []
    rt.close()
    result = CliRunner().invoke(app, ["alerts", "run", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    sent = {d["recipient"] for d in json.loads(result.output)["deliveries"] if d["status"] == "sent"}
    assert {"alice@acme.test", "kb-admins@acme.test"} <= sent
    assert len(smtp_server[0].to("alice@acme.test")) == 1


def test_stale_lists_overdue_docs_of_an_owner(config: Path) -> None:
    result = CliRunner().invoke(
        app, ["stale", "--owner", "alice@acme.test", "--json", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert {i["doc_id"] for i in items} == {"a-vpn", "a-runbook", "a-oncall"}
    assert all(i["owner"] == "alice@acme.test" for i in items)


def test_review_records_and_reports_the_new_freshness(config: Path) -> None:
    result = CliRunner().invoke(
        app, ["review", "a-vpn", "--as", "Alice@Acme.test", "--note", "ok", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "VPN setup: reviewed by alice@acme.test; now fresh" in result.output
    rt = Runtime(load_settings(config))
    [review] = ReviewStore(rt.db).history("a-vpn")
    assert (review.reviewer, review.note, review.via) == ("alice@acme.test", "ok", "cli")
    rt.close()
    missing = CliRunner().invoke(app, ["review", "nope", "--as", "alice@acme.test", "--config", str(config)])
    assert missing.exit_code == 2
    assert "nope: no such document" in missing.output


def test_review_is_refused_for_someone_neither_owner_nor_admin(config: Path) -> None:
    """Issue 11, case 6: the CLI checks what the API checks, and audits what it records."""
    with config.open("a") as f:
        f.write('\n[[auth.tokens]]\nsha256 = "' + "0" * 64 + '"\nuser = "root@acme.test"\nadmin = true\n')
    refused = CliRunner().invoke(app, ["review", "a-vpn", "--as", "bob@acme.test", "--config", str(config)])
    assert refused.exit_code == 2
    assert "a-vpn: bob@acme.test is neither the document's owner nor an admin" in refused.output
    rt = Runtime(load_settings(config))
    assert ReviewStore(rt.db).history("a-vpn") == []
    rt.close()
    admin = CliRunner().invoke(app, ["review", "a-vpn", "--as", "root@acme.test", "--config", str(config)])
    assert admin.exit_code == 0, admin.output
    rt = Runtime(load_settings(config))
    assert [r.reviewer for r in ReviewStore(rt.db).history("a-vpn")] == ["root@acme.test"]
    from kb.store.audit import AuditLog

    reviews = [
        (e.user, e.action, e.query) for e in AuditLog(rt.db).entries() if e.action.startswith("review")
    ]
    assert reviews == [("root@acme.test", "review:cli", "a-vpn")]
    rt.close()
