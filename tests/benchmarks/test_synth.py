"""The synthetic export generator: real Notion ingestor parses it, at the requested size."""

from __future__ import annotations

from pathlib import Path

from benchmarks.synth import SPACES, bench_config, generate, make_doc, queries
from ingestors.notion import NotionIngestor
from kb.config import settings_from_dict
from kb.lifecycle.rules import resolve


def _read(path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = settings_from_dict(bench_config(tmp_path / "data"))
    return settings, NotionIngestor(settings).read(path)


def test_zip_export_parses_with_the_notion_ingestor_at_the_requested_size(tmp_path: Path) -> None:
    export = generate(tmp_path / "export.zip", 60)
    _settings, batch = _read(export.path, tmp_path)
    assert batch.complete and not [i for i in batch.issues if i.severity == "error"]
    rows = [d for d in batch.documents if d.path and d.path[-1].endswith(" Wiki")]
    assert len(rows) == 60
    assert len(batch.documents) == 60 + len(SPACES)  # one plain page per space
    doc = next(d for d in rows if d.doc_id == make_doc(0).doc_id)
    assert doc.owner and doc.owner.endswith("@acme.test")  # display name resolved via people
    assert doc.last_edited_at is not None and doc.review_interval_days
    assert doc.text.count("## ") >= 2


def test_folder_export_matches_the_zip(tmp_path: Path) -> None:
    zipped = _read(generate(tmp_path / "e.zip", 20).path, tmp_path)[1]
    folder = _read(generate(tmp_path / "folder", 20, as_zip=False).path, tmp_path)[1]
    assert sorted((d.doc_id, d.content_hash) for d in zipped.documents) == sorted(
        (d.doc_id, d.content_hash) for d in folder.documents
    )


def test_restricted_spaces_get_group_readers_through_rules(tmp_path: Path) -> None:
    settings, batch = _read(generate(tmp_path / "e.zip", 16).path, tmp_path)
    acl = {d.path[0] if d.path else d.title: tuple(resolve(d, settings).acl) for d in batch.documents}
    assert acl["Security"] == ("group:security",)
    assert acl["HR"] == ("group:hr",)
    assert acl["Engineering"] == ("everyone",)


def test_changed_export_changes_only_every_nth_page(tmp_path: Path) -> None:
    base = _read(generate(tmp_path / "a.zip", 30).path, tmp_path)[1]
    changed_export = generate(tmp_path / "b.zip", 30, changed_every=10)
    changed = _read(changed_export.path, tmp_path)[1]
    before = {d.doc_id: d.content_hash for d in base.documents}
    differs = sorted(d.doc_id for d in changed.documents if before[d.doc_id] != d.content_hash)
    assert differs == sorted(changed_export.changed)
    assert len(differs) == 3


def test_documents_do_not_depend_on_export_size_and_queries_are_deterministic() -> None:
    assert make_doc(7).markdown() == make_doc(7).markdown()
    assert make_doc(7).doc_id != make_doc(8).doc_id
    assert queries(5) == queries(5) and len(set(queries(50))) > 25
