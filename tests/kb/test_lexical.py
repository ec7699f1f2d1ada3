"""BM25 over the SQLite store: cached per generation, ACL applied before the top n."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.lexical import LexicalIndex, tokenize
from kb.records import Chunk, Document
from kb.store.db import Database
from kb.store.documents import DocumentStore


def put(store: DocumentStore, doc_id: str, *texts: str, title: str = "Page") -> None:
    doc = Document(doc_id=doc_id, source="notion", title=title, text="\n".join(texts))
    store.upsert(
        doc, [Chunk(chunk_id=f"{doc_id}#{i}", doc_id=doc_id, index=i, text=t) for i, t in enumerate(texts)]
    )


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    s = DocumentStore(Database(tmp_path / "kb.sqlite"))
    put(
        s, "pub", "Invoices are generated on the first day of the month by Stripe.", "The VPN uses WireGuard."
    )
    for i in range(4):
        put(s, f"secret{i}", "Invoices invoices invoices: the payroll invoices are confidential.")
    put(s, "other", "The office printer needs a badge.")
    return s


def test_tokenize_drops_stopwords_and_folds_plurals() -> None:
    assert tokenize("When are the Invoices generated?") == ["invoice", "generated"]
    assert tokenize("what is this") == []
    assert tokenize("access class") == ["access", "class"]


def test_built_once_and_rebuilt_only_when_the_generation_changes(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    first = index.search("invoices", 10)
    for _ in range(3):
        assert index.search("invoices", 10) == first
        index.search("printer badge", 10, allowed_docs={"pub", "other"})
    assert index.builds == 1

    put(store, "new", "Invoices moved to the new billing system.")
    assert "new#0" in dict(index.search("invoices", 10))
    assert index.builds == 2
    index.search("billing", 10)
    assert index.builds == 2


def test_acl_mask_applies_before_top_n(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    unmasked = index.search("invoices", 1)
    assert unmasked[0][0].startswith("secret")
    # Four unreadable chunks outscore the readable one; it still gets the only slot.
    masked = index.search("invoices", 1, allowed_docs={"pub", "other"})
    assert [c for c, _ in masked] == ["pub#0"]
    assert all(not c.startswith("secret") for c, _ in index.search("invoices", 10, {"pub"}))
    assert index.search("invoices", 10, allowed_docs=set()) == []


def test_scores_do_not_depend_on_unreadable_text(store: DocumentStore, tmp_path: Path) -> None:
    only_public = DocumentStore(Database(tmp_path / "public.sqlite"))
    put(
        only_public,
        "pub",
        "Invoices are generated on the first day of the month by Stripe.",
        "The VPN uses WireGuard.",
    )
    put(only_public, "other", "The office printer needs a badge.")
    masked = LexicalIndex(store).search("invoices stripe", 5, allowed_docs={"pub", "other"})
    alone = LexicalIndex(only_public).search("invoices stripe", 5)
    assert [c for c, _ in masked] == [c for c, _ in alone] == ["pub#0"]
    assert masked[0][1] == pytest.approx(alone[0][1])
    # Sanity: over the whole corpus, the same chunk scores differently (IDF sees the secrets).
    assert dict(LexicalIndex(store).search("invoices stripe", 10))["pub#0"] != pytest.approx(alone[0][1])


def test_titles_and_coverage(store: DocumentStore) -> None:
    index = LexicalIndex(store, titles=lambda d: "Printer handbook" if d == "other" else None)
    scores = index.scores("printer handbook", 5)
    assert list(scores) == ["other#0"]
    assert scores["other#0"].coverage == 1.0
    partial = index.scores("printer quantum", 5)
    assert partial["other#0"].coverage == 0.5


def test_empty_store_and_empty_query(tmp_path: Path) -> None:
    index = LexicalIndex(DocumentStore(Database(tmp_path / "empty.sqlite")))
    assert index.search("anything", 5) == []
    assert index.search("   ", 5) == []
