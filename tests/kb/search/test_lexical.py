"""BM25 over the SQLite store: cached per generation, ACL applied before the top n."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kb.records import Chunk, Document
from kb.search.lexical import LexicalIndex, tokenize
from kb.store.db import Database
from kb.store.documents import DocumentStore


def put(store: DocumentStore, doc_id: str, *texts: str, title: str = "Page") -> None:
    doc = Document(doc_id=doc_id, source="notion", title=title, text="\n".join(texts))
    store.upsert(
        doc, [Chunk(chunk_id=f"{doc_id}#{i}", doc_id=doc_id, index=i, text=t) for i, t in enumerate(texts)]
    )


@pytest.fixture
def store(open_db: Callable[[], Database]) -> DocumentStore:
    s = DocumentStore(open_db())
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


def test_built_once_and_updated_only_when_the_generation_changes(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    first = index.search("invoices", 10)
    for _ in range(3):
        assert index.search("invoices", 10) == first
        index.search("printer badge", 10, allowed_docs={"pub", "other"})
    assert (index.builds, index.patches) == (1, 0)

    put(store, "new", "Invoices moved to the new billing system.")
    assert "new#0" in dict(index.search("invoices", 10))
    assert (index.builds, index.patches) == (1, 1)  # the new document's chunks, merged in
    index.search("billing", 10)
    assert (index.builds, index.patches) == (1, 1)


QUERIES = ("invoices", "invoices billing printer", "badge stripe wireguard", "office printer invoices", "vpn")
READERS = (None, {"pub", "other", "new", "added"}, {"secret0", "secret1", "pub"})


def _same_as_a_fresh_build(index: LexicalIndex, store: DocumentStore) -> None:
    fresh = LexicalIndex(store)
    for query in QUERIES:
        for allowed in READERS:
            assert index.scores(query, 100, allowed) == fresh.scores(query, 100, allowed), (query, allowed)


def test_an_ingest_updates_the_postings_in_place_exactly_as_a_rebuild(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    index.PATCH_MAX_SHARE = 1.0  # a tiny corpus: these writes change most of it
    for allowed in READERS:
        index.search("invoices", 10, allowed)
    put(store, "new", "Invoices moved to the new billing system.", "Printer badges too.")  # added
    put(store, "pub", "The VPN uses WireGuard; invoices moved to billing.", title="Billing")  # changed
    store.delete(["secret2"])  # removed
    put(store, "secret3", "Invoices of payroll.", "Payroll invoices, twice.", "And a third chunk.")
    _same_as_a_fresh_build(index, store)
    assert (index.builds, index.patches) == (1, 1)  # four writes since the build, one update
    put(store, "added", "A new word: zorblax invoices.")
    assert dict(index.search("zorblax", 5)) == dict(LexicalIndex(store).search("zorblax", 5))
    _same_as_a_fresh_build(index, store)
    assert (index.builds, index.patches) == (1, 2)


def test_a_change_log_that_does_not_reach_back_rebuilds(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    index.search("invoices", 10)
    put(store, "new", "Invoices moved to the new billing system.")
    store.db.execute("DELETE FROM changes")  # a store written before the change log existed
    _same_as_a_fresh_build(index, store)
    assert (index.builds, index.patches) == (2, 0)


def test_changing_most_documents_rebuilds(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    index.search("invoices", 10)
    for i in range(4):
        put(store, f"secret{i}", "Rewritten: billing moved.")
    _same_as_a_fresh_build(index, store)
    assert (index.builds, index.patches) == (2, 0)


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


@pytest.mark.parametrize("allowed", [None, {"pub", "other"}, {"pub", "secret0", "secret1"}])
def test_scores_equal_bm25s_built_over_the_readable_chunks(
    store: DocumentStore, allowed: set[str] | None
) -> None:
    """The query-time BM25 is bm25s's default BM25 over exactly the readable chunks."""
    import bm25s

    put(store, "long", "Invoices " * 7 + "the printer badge is in the office, invoices aside.", "")
    chunks = [c for c in store.chunks() if allowed is None or c.doc_id in allowed | {"long"}]
    reference = bm25s.BM25()
    reference.index(
        [tokenize(" ".join(filter(None, [c.heading, c.text]))) for c in chunks], show_progress=False
    )
    index = LexicalIndex(store)
    for query in (
        "invoices",
        "invoices invoices printer",
        "badge stripe wireguard",
        "office printer invoices",
    ):
        expected = {
            c.chunk_id: float(s)
            for c, s in zip(chunks, reference.get_scores(tokenize(query)), strict=True)
            if s > 0
        }
        got = dict(index.search(query, 100, None if allowed is None else allowed | {"long"}))
        assert got.keys() == expected.keys()
        for chunk_id, score in expected.items():
            assert got[chunk_id] == pytest.approx(score, rel=1e-5)
    assert index.builds == 1


def test_reader_sets_share_one_build(store: DocumentStore) -> None:
    index = LexicalIndex(store)
    for allowed in ({"pub"}, {"pub", "other"}, None, {"secret0"}, frozenset({"pub"})):
        index.search("invoices", 5, allowed)
    assert index.builds == 1
    assert [c for c, _ in index.search("invoices", 5, {"secret0"})] == ["secret0#0"]
