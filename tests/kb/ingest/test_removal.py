"""Removal guards (issue 11, case 1): an ingest removes documents only from a recognisable, complete
export of the same source, at most ``ingest.max_removal_fraction`` of them unless allowed, and a
removed document stays restorable. Real model, embedded Chroma, SQLite; the real Notion and Drive
ingestors for the wrong, empty and foreign exports."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from kb.clock import FixedClock
from kb.errors import IngestError
from kb.ingest.pipeline import IngestOptions
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.tombstones import Tombstones
from tests.conftest import EXAMPLE_NOW, EXAMPLES
from tests.kb.ingest.test_pipeline import READERS, _corpus, _drive_export, assert_consistent, write_page

pytestmark = pytest.mark.slow

ALL = IngestOptions(allow_removals=True)


def _snapshot(rt: Runtime) -> tuple[set[str], set[str]]:
    return rt.documents.doc_ids(), rt.index.chunk_ids()


def test_removing_more_than_the_fraction_is_held_until_allowed(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    before = _snapshot(runtime)
    (tmp_path / "x" / "billing.md").unlink()  # 1 of 4: 25% > the default 20%

    held = ingester.ingest("notion", tmp_path / "x")
    assert held.removed == [] and held.removal_held == ["notion:billing"]
    assert "max_removal_fraction" in held.removal_note and "--allow-removals" in held.removal_note
    assert _snapshot(runtime) == before

    runtime.settings.ingest.max_removal_fraction = 0.25  # exactly at the bound: allowed
    report = ingester.ingest("notion", tmp_path / "x")
    assert report.removed == ["notion:billing"] and report.removal_held == []
    assert runtime.documents.get("notion:billing") is None
    assert_consistent(runtime)


def test_removed_document_is_listed_and_restored_as_it_was(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    chunk_ids = {c.chunk_id for c in runtime.documents.chunks_for("notion:billing")}
    vectors = runtime.index.stored(chunk_ids)
    record = runtime.documents.get("notion:billing")
    (tmp_path / "x" / "billing.md").unlink()
    ingester.ingest("notion", tmp_path / "x", options=ALL)

    alice = Principal(user="alice@acme.example")
    assert all(
        h.doc.doc_id != "notion:billing" for h in runtime.retriever.search("invoices nightly", alice).hits
    )
    [tomb] = Tombstones(runtime.db).list()
    assert tomb.doc.doc_id == "notion:billing" and "missing from notion export" in tomb.reason
    assert tomb.removed_at == EXAMPLE_NOW

    # The model is not needed: the vectors come back from the tombstone.
    plain = Runtime(runtime.settings, embedder=_NoModel(), clock=runtime.clock)
    restored = plain.ingester(READERS).restore("notion:billing")
    plain.close()
    assert restored == record
    assert runtime.documents.get("notion:billing") == record
    again = runtime.index.stored(chunk_ids)
    for cid in chunk_ids:
        assert np.allclose(again[cid][0], vectors[cid][0], atol=1e-6)
        assert again[cid][1]["acl_key"] == vectors[cid][1]["acl_key"]
    assert Tombstones(runtime.db).list() == []
    hits = runtime.retriever.search("How are invoices generated?", alice).hits
    assert hits[0].doc.doc_id == "notion:billing"
    assert_consistent(runtime)


class _NoModel:
    def embed(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError(f"restore embedded {len(texts)} texts; its vectors were buried")


def test_restore_names_what_it_cannot_restore(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    with pytest.raises(IngestError, match="no removed document") as err:
        ingester.restore("notion:nope")
    assert err.value.subject == "notion:nope"
    (tmp_path / "x" / "vpn.md").rename(tmp_path / "vpn.md")
    ingester.ingest("notion", tmp_path / "x", options=ALL)
    (tmp_path / "vpn.md").rename(tmp_path / "x" / "vpn.md")
    assert ingester.ingest("notion", tmp_path / "x").added == ["notion:vpn"]
    with pytest.raises(IngestError, match="is stored") as err:
        ingester.restore("notion:vpn")
    assert err.value.subject == "notion:vpn"


def test_tombstones_expire_after_tombstone_days(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    (tmp_path / "x" / "billing.md").unlink()
    runtime.ingester(READERS).ingest("notion", tmp_path / "x", options=ALL)
    days = runtime.settings.ingest.tombstone_days
    for elapsed, kept in ((days - 1, 1), (days + 1, 0)):
        later = Runtime(
            runtime.settings,
            embedder=runtime.embedder,
            clock=FixedClock(EXAMPLE_NOW + timedelta(days=elapsed)),
        )
        later.ingester(READERS).ingest("notion", tmp_path / "x")
        assert len(Tombstones(later.db).list()) == kept
        later.close()


def test_export_of_another_identity_changes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    before = _snapshot(runtime)
    write_page(tmp_path / "other", "hr", "HR handbook", "Salaries are reviewed in March.\n")

    report = ingester.ingest("notion", tmp_path / "other", options=ALL)
    assert "another workspace or folder" in report.refused and "--replace-identity" in report.refused
    assert report.added == report.removed == []
    assert _snapshot(runtime) == before

    report = ingester.ingest(
        "notion", tmp_path / "other", options=IngestOptions(allow_removals=True, replace_identity=True)
    )
    assert report.added == ["notion:hr"] and len(report.removed) == 4 and not report.refused
    # The new identity is the source's now: the old folder is the foreign one.
    assert "another workspace" in ingester.ingest("notion", tmp_path / "x", options=ALL).refused


def test_dry_run_says_what_would_change_and_writes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    before = _snapshot(runtime)
    generation = runtime.documents.generation()
    (tmp_path / "x" / "billing.md").unlink()
    write_page(tmp_path / "x", "vpn", "VPN setup", "Use the new client.\n")
    write_page(tmp_path / "x", "dns", "DNS", "Records live in the zone repo.\n")

    report = ingester.ingest(
        "notion", tmp_path / "x", options=IngestOptions(dry_run=True, allow_removals=True)
    )
    assert report.dry_run
    assert (report.added, report.updated, report.removed) == (
        ["notion:dns"],
        ["notion:vpn"],
        ["notion:billing"],
    )
    assert sorted(report.unchanged) == ["notion:empty", "notion:oncall"]
    assert _snapshot(runtime) == before and runtime.documents.generation() == generation
    held = ingester.ingest("notion", tmp_path / "x", options=IngestOptions(dry_run=True))
    assert held.removed == [] and held.removal_held == ["notion:billing"]


# -- the real ingestors: wrong, empty and foreign exports (the example data as stored) -------------


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _notion_part_zip(path: Path, files: dict[str, bytes]) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"Export-11111111-2222-3333-4444-555555555555/{name}", data)
    return _zip(path, {"Export-11111111-2222-3333-4444-555555555555-Part-1.zip": inner.getvalue()})


def test_empty_wrong_and_foreign_exports_change_nothing(example_runtime: Runtime, tmp_path: Path) -> None:
    rt = example_runtime
    before = _snapshot(rt)
    notion_before = rt.documents.hashes("notion")
    drive_before = rt.documents.hashes("gdrive")
    assert len(notion_before) == 40 and len(drive_before) == 20
    empty_folder = tmp_path / "empty"
    empty_folder.mkdir()
    drive_empty_manifest = tmp_path / "drive_empty"
    shutil.copytree(EXAMPLES / "drive", drive_empty_manifest)
    (drive_empty_manifest / "manifest.jsonl").write_text("")
    other_workspace = _notion_part_zip(
        tmp_path / "other.zip", {"Home 0123456789abcdef0123456789abcdef.md": b"# Home\n\nWelcome.\n"}
    )
    other_folder = tmp_path / "other_drive"
    _drive_export(other_folder, ["Expenses"])
    cases = {
        ("notion", _zip(tmp_path / "empty.zip", {})): "holds no documents",
        ("notion", empty_folder): "holds no documents",
        ("notion", _zip(tmp_path / "readme.zip", {"README.md": b"# Read me\n\nexported by hand\n"})): (
            "not a recognisable Notion export"
        ),
        ("notion", other_workspace): "another workspace or folder",
        ("gdrive", drive_empty_manifest): "holds no documents",
        ("gdrive", EXAMPLES / "notion" / "acme-notion-export.zip"): "holds no documents",
        ("gdrive", other_folder): "another workspace or folder",
    }
    ingester = rt.ingester()
    for (source, path), why in cases.items():
        report = ingester.ingest(source, path, options=ALL)
        assert why in report.refused, (path, report.refused)
        assert report.added == report.updated == report.removed == [], path
        assert _snapshot(rt) == before, path
    with pytest.raises(IngestError, match="Google Drive export") as err:
        ingester.ingest("notion", EXAMPLES / "drive", options=ALL)
    assert err.value.subject == str(EXAMPLES / "drive")
    assert _snapshot(rt) == before
    assert rt.documents.hashes("notion") == notion_before and rt.documents.hashes("gdrive") == drive_before
    # The real exports are still recognised as themselves.
    assert ingester.ingest("notion", EXAMPLES / "notion" / "acme-notion-export.zip").refused == ""
    assert json.loads((EXAMPLES / "drive" / "export_info.json").read_text())["root_folder_id"]


def test_a_file_the_export_skipped_keeps_its_stored_copy(runtime: Runtime, tmp_path: Path) -> None:
    # `kb export drive` writes a file it could not export (over Drive's 10 MB export limit) as a
    # manifest line with x_skipped: the file still exists, so its indexed copy must stay.
    folder = tmp_path / "drive"
    _drive_export(folder, ["Expenses", "Travel policy"])
    ingester = runtime.ingester(READERS)
    ingester.ingest("drive", folder)
    before = _snapshot(runtime)
    lines = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    del lines[1]["x_local_path"]
    lines[1]["x_skipped"] = "too large for Drive's export (10 MB limit); skipped"
    (folder / "manifest.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    report = ingester.ingest("drive", folder)
    assert report.removed == [] and report.removal_held == []
    assert [(i.doc_id, i.severity) for i in report.failed] == [("gdrive:f1", "warning")]
    assert "not exported: too large" in report.failed[0].reason
    assert _snapshot(runtime) == before
    assert runtime.documents.get("gdrive:f1") is not None
    assert_consistent(runtime)
