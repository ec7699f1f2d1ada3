"""``kb ingest`` and ``kb docs``: JSON output, summaries, exit codes, config errors."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.config import load_settings
from kb.store.alerts import AlertHistory, SentItem
from kb.store.db import Database
from kb.store.reviews import Review, ReviewStore
from tests.conftest import ROOT
from tests.kb.ingest.test_pipeline import _drive_export

KB = ROOT / ".venv" / "bin" / "kb"


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "data"}"\n\n[[rules]]\nmatch = "Travel*"\n'
        f'owner = "travel@acme.example"\n{extra}'
    )
    return config


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_ingest_json_then_docs_json(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path)
    _drive_export(tmp_path / "drive", ["Expenses", "Travel policy"])
    code, out, err = _invoke("ingest", "drive", str(tmp_path / "drive"), "--json", "-c", str(config))
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report["added"]) == ["gdrive:f0", "gdrive:f1"]
    assert report["failed"] == [] and report["chunks_embedded"] >= 2 and report["source"] == "gdrive"

    db = Database(load_settings(config).store_path)
    ReviewStore(db).record(
        Review(
            doc_id="gdrive:f1",
            reviewer="ann@acme.example",
            reviewed_at=datetime(2026, 11, 1, tzinfo=UTC),
            note="ok",
        )
    )
    AlertHistory(db).record_sent(
        recipient="ann@acme.example",
        period="2026-11-02",
        channel="email",
        target="ann@acme.example",
        items=[SentItem(doc_id="gdrive:f1", status="overdue", reason="review was due")],
        at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    db.close()

    code, out, _ = _invoke("docs", "--json", "-c", str(config), "--source", "drive")
    docs = {d["doc_id"]: d for d in json.loads(out)}
    assert code == 0 and set(docs) == {"gdrive:f0", "gdrive:f1"}
    assert "text" not in docs["gdrive:f0"]
    assert [r["reviewer"] for r in docs["gdrive:f1"]["reviews"]] == ["ann@acme.example"]
    # Alert history and freshness, as GET /v1/docs/{id} shows them.
    assert [(a["recipient"], a["status"], a["channel"]) for a in docs["gdrive:f1"]["alerts"]] == [
        ("ann@acme.example", "overdue", "email")
    ]
    assert docs["gdrive:f0"]["alerts"] == []
    assert docs["gdrive:f1"]["freshness"]["reviewed_basis"] == "review"
    assert docs["gdrive:f0"]["freshness"]["status"] in {"fresh", "due_soon", "overdue", "unknown"}
    assert docs["gdrive:f0"]["review_interval_days"] == 180
    assert docs["gdrive:f0"]["resolution"]["review_interval_days"] == "default review.default_interval_days"

    code, out, _ = _invoke("docs", "-c", str(config), "--owner", "ann@acme.example")
    assert code == 0 and "gdrive:f0" in out and "owner=ann@acme.example" in out
    code, out, _ = _invoke("docs", "-c", str(config), "--source", "notion")
    assert code == 0 and out == ""

    code, out, _ = _invoke("ingest", "gdrive", str(tmp_path / "drive"), "-c", str(config))
    assert code == 0
    assert "unchanged" in out and "chunks embedded" in out
    assert [line.split() for line in out.splitlines() if "unchanged" in line] == [["unchanged", "2"]]


@pytest.mark.slow
def test_partial_failures_exit_zero_and_are_listed(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path)
    _drive_export(tmp_path / "drive", ["Expenses"])
    with (tmp_path / "drive" / "manifest.jsonl").open("a") as f:
        f.write("{not json\n")
    code, out, _ = _invoke("ingest", "drive", str(tmp_path / "drive"), "-c", str(config))
    assert code == 0
    assert "manifest.jsonl:2" in out and "malformed JSON" in out
    assert "removals skipped" in out


@pytest.mark.slow
def test_nothing_readable_exits_non_zero(tmp_path: Path) -> None:
    config = _config(tmp_path)
    corrupt = tmp_path / "export.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip")
    for source in ("notion", "drive"):
        proc = subprocess.run(
            [str(KB), "ingest", source, str(corrupt), "--json", "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode != 0, proc.stdout
        assert "export.zip" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_unknown_config_key_is_named(tmp_path: Path) -> None:
    config = _config(tmp_path, extra="\n[index]\nchunk_sise = 200\n")
    proc = subprocess.run([str(KB), "docs", "-c", str(config)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unknown key 'index.chunk_sise'" in proc.stderr


def test_unknown_source_is_an_error(tmp_path: Path) -> None:
    code, _, err = _invoke("ingest", "confluence", str(tmp_path), "-c", str(_config(tmp_path)))
    assert code == 2 and "confluence" in err


@pytest.mark.slow
def test_guarded_removal_dry_run_removed_and_restore(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """Issue 11, case 1 through the CLI: refused exports and held removals exit 1 and keep
    everything; --dry-run lists what would change; removed documents are listed and restored."""
    config = _config(tmp_path)
    names = ["Expenses", "Travel policy", "Laptops", "Parking", "Lunch"]
    _drive_export(tmp_path / "drive", names)
    assert _invoke("ingest", "drive", str(tmp_path / "drive"), "-c", str(config))[0] == 0
    everything = {f"gdrive:f{i}" for i in range(5)}

    def stored() -> set[str]:
        code, out, _ = _invoke("docs", "--json", "-c", str(config))
        assert code == 0
        return {d["doc_id"] for d in json.loads(out)}

    manifest = (tmp_path / "drive" / "manifest.jsonl").read_text().splitlines()
    (tmp_path / "drive" / "manifest.jsonl").write_text("")
    code, _, err = _invoke("ingest", "drive", str(tmp_path / "drive"), "-c", str(config))
    assert code == 1 and "holds no documents; nothing was changed" in err
    assert stored() == everything

    (tmp_path / "drive" / "manifest.jsonl").write_text("\n".join(manifest[:3]) + "\n")  # 2 of 5 gone
    code, out, err = _invoke("ingest", "drive", str(tmp_path / "drive"), "-c", str(config))
    assert code == 1 and "2 of 5 documents (40%)" in err and "--allow-removals" in err
    assert "removals skipped: kept 2" in out
    assert stored() == everything

    code, out, _ = _invoke(
        "ingest", "drive", str(tmp_path / "drive"), "--dry-run", "--allow-removals", "-c", str(config)
    )
    assert code == 0 and "nothing was written" in out
    assert [line.split() for line in out.splitlines() if line.startswith("  would")] == [
        ["would", "remove", "gdrive:f3"],
        ["would", "remove", "gdrive:f4"],
    ]
    assert stored() == everything

    code, out, _ = _invoke(
        "ingest", "drive", str(tmp_path / "drive"), "--allow-removals", "--json", "-c", str(config)
    )
    assert code == 0 and json.loads(out)["removed"] == ["gdrive:f3", "gdrive:f4"]
    assert stored() == everything - {"gdrive:f3", "gdrive:f4"}

    code, out, _ = _invoke("docs", "--removed", "--json", "-c", str(config))
    removed = {d["doc_id"]: d for d in json.loads(out)}
    assert code == 0 and set(removed) == {"gdrive:f3", "gdrive:f4"}
    assert (
        removed["gdrive:f3"]["title"] == "Parking"
        and "missing from gdrive export" in removed["gdrive:f3"]["removal_reason"]
    )

    code, out, _ = _invoke("restore", "gdrive:f3", "-c", str(config))
    assert code == 0 and "restored gdrive:f3" in out
    assert stored() == everything - {"gdrive:f4"}
    code, _, err = _invoke("restore", "gdrive:f3", "-c", str(config))
    assert code == 2 and "gdrive:f3" in err and "no removed document" in err


def test_warnings_are_counted_apart_from_failures(tmp_path: Path) -> None:
    from tests.ingestors.test_takeout import write_folder

    write_folder(tmp_path / "takeout")
    code, out, err = _invoke(
        "ingest", "drive", str(tmp_path / "takeout"), "--dry-run", "-c", str(_config(tmp_path))
    )
    assert code == 0, err
    # The Takeout's own warning and its unreadable diagram.png: warnings, not failures.
    assert re.search(r"^  failed +0$", out, re.M) and re.search(r"^  warnings +2$", out, re.M), out
    assert "warning: " in out and "Google Takeout carries no owners" in out
