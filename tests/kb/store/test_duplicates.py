"""The near-duplicate pairs table (kb.store.duplicates) in a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from kb.records import Document
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.duplicates import NearDuplicates, Pair


def _store(tmp_path: Path) -> tuple[DocumentStore, NearDuplicates]:
    db = Database(tmp_path / "kb.sqlite")
    docs = DocumentStore(db)
    for doc_id, source in (("notion:a", "notion"), ("gdrive:1b", "gdrive"), ("gdrive:1c", "gdrive")):
        docs.upsert(Document(doc_id=doc_id, source=source, title=doc_id, text="t"))
    return docs, NearDuplicates(db)


def test_pairs_are_stored_once_and_read_both_ways(tmp_path: Path) -> None:
    _, dups = _store(tmp_path)
    dups.replace([Pair.of("notion:a", "gdrive:1b", 0.9), Pair.of("gdrive:1c", "notion:a", 0.6)])
    assert [(p.doc_a, p.doc_b) for p in dups.all()] == [("gdrive:1b", "notion:a"), ("gdrive:1c", "notion:a")]
    assert dups.of("notion:a") == {"gdrive:1b": 0.9, "gdrive:1c": 0.6}
    assert list(dups.of("notion:a")) == ["gdrive:1b", "gdrive:1c"]
    assert dups.of("gdrive:1c") == {"notion:a": 0.6}
    assert dups.partners(["gdrive:1b"]) == {"gdrive:1b": {"notion:a": 0.9}, "notion:a": {"gdrive:1b": 0.9}}


def test_replace_replaces_and_skips_documents_not_stored(tmp_path: Path) -> None:
    _, dups = _store(tmp_path)
    dups.replace([Pair.of("notion:a", "gdrive:1b", 0.9)])
    dups.replace([Pair.of("notion:a", "gdrive:1c", 0.7), Pair.of("notion:a", "gdrive:1gone", 0.8)])
    assert dups.partners() == {"notion:a": {"gdrive:1c": 0.7}, "gdrive:1c": {"notion:a": 0.7}}


def test_a_removed_document_takes_its_pairs_with_it(tmp_path: Path) -> None:
    docs, dups = _store(tmp_path)
    dups.replace([Pair.of("notion:a", "gdrive:1b", 0.9), Pair.of("gdrive:1c", "notion:a", 0.6)])
    docs.delete(["gdrive:1b"])
    assert dups.of("notion:a") == {"gdrive:1c": 0.6}
