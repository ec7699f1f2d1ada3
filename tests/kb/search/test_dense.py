"""Exact in-memory dense search (kb.search.dense) against Chroma's own answers, in embedded Chroma."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from kb.config import Settings
from kb.records import Chunk, Document, Principal
from kb.runtime import Runtime
from kb.search.dense import DenseIndex
from kb.search.index import ChunkHit, acl_key
from tests.conftest import EXAMPLE_NOW

ACLS = (["everyone"], ["group:a"], ["group:b"], ["user:x@acme.test", "group:a"])
DIM = 384


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


Doc = tuple[str, list[str], np.ndarray, list[str] | None]


def put(
    rt: Runtime, doc_id: str, acl: list[str], vectors: np.ndarray, texts: list[str] | None = None
) -> None:
    """Write a document the way ingest does: vectors to Chroma, then the store commit."""
    put_many(rt, [(doc_id, acl, vectors, texts)])


def put_many(rt: Runtime, docs: list[Doc]) -> None:
    """Write documents as one ingest group does: all vectors to Chroma at once, then each store commit."""
    batch: list[tuple[Document, list[Chunk]]] = []
    for doc_id, acl, vectors, given in docs:
        texts = given or [f"{doc_id} part {i}" for i in range(len(vectors))]
        chunks = [
            Chunk(
                chunk_id=f"{doc_id}#{i}",
                doc_id=doc_id,
                index=i,
                text=t,
                metadata={"title": doc_id, "source": "notion", "acl_key": acl_key(acl)},
            )
            for i, t in enumerate(texts)
        ]
        doc = Document(doc_id=doc_id, source="notion", title=doc_id, acl=acl, text=" ".join(texts))
        batch.append((doc, chunks))
    rt.index.upsert(
        [c for _, chunks in batch for c in chunks], [v.tolist() for _, _, vs, _ in docs for v in vs]
    )
    for doc, chunks in batch:
        rt.documents.upsert(doc, chunks)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def corpus(rt: Runtime) -> Runtime:
    """60 documents x 5 chunks of random unit vectors, spread over four ACL sets."""
    rng = np.random.default_rng(7)
    put_many(rt, [(f"d{d:02d}", ACLS[d % len(ACLS)], _unit(rng, 5), None) for d in range(60)])
    return rt


def stored(rt: Runtime, chunk_id: str) -> list[float]:
    """The vector Chroma holds for ``chunk_id``."""
    got = rt.index._collection.get(ids=[chunk_id], include=["embeddings"])
    return [float(x) for x in got["embeddings"][0]]


def dense(rt: Runtime, max_chunks: int = 300_000, *, float16: bool = False) -> DenseIndex:
    """float32 by default: these tests hold the exact scan to Chroma's order, and random unit
    vectors in 384 dimensions score within 2e-5 of each other, closer than float16 resolves
    (``test_float16_ranks_as_float32_up_to_near_ties`` covers the default float16 matrix)."""
    return DenseIndex(lambda: rt.index, rt.documents, max_chunks, float16=float16)


def same(exact: list[ChunkHit], chroma: list[ChunkHit]) -> None:
    assert [h.chunk_id for h in exact] == [h.chunk_id for h in chroma]
    assert [h.doc_id for h in exact] == [h.doc_id for h in chroma]
    assert np.allclose([h.score for h in exact], [h.score for h in chroma], atol=1e-4)


def test_exact_results_equal_chromas(corpus: Runtime) -> None:
    ix = dense(corpus)
    rng = np.random.default_rng(1)
    for q in _unit(rng, 10):
        same(ix.query(q.tolist(), 20), corpus.index.query(q.tolist(), 20))
    # A query equal to a stored chunk finds it first with cosine 1.
    top = ix.query(stored(corpus, "d03#2"), 1)
    assert top[0].chunk_id == "d03#2" and top[0].score == pytest.approx(1.0, abs=1e-5)
    assert ix.loads == 1


def test_acl_mask_returns_chromas_filtered_results_and_nothing_unreadable(corpus: Runtime) -> None:
    ix = dense(corpus)
    rng = np.random.default_rng(2)
    readers = [[acl_key(ACLS[0])], [acl_key(ACLS[1]), acl_key(ACLS[3])], [acl_key(a) for a in ACLS[1:]]]
    by_doc = {f"d{d:02d}": acl_key(ACLS[d % len(ACLS)]) for d in range(60)}
    for keys in readers:
        for q in _unit(rng, 5):
            exact = ix.query(q.tolist(), 20, keys)
            assert len(exact) == 20
            assert all(by_doc[h.doc_id] in keys for h in exact)
            same(exact, corpus.index.query(q.tolist(), 20, keys))


def test_unreadable_chunks_never_take_a_slot(corpus: Runtime) -> None:
    ix = dense(corpus)
    # The query *is* an unreadable chunk (group:b): the reader still gets k readable chunks.
    target = np.asarray(stored(corpus, "d02#0"))
    everyone = [acl_key(["everyone"])]
    hits = ix.query(target.tolist(), 10, everyone)
    assert len(hits) == 10 and all(h.doc_id in {f"d{d:02d}" for d in range(0, 60, 4)} for h in hits)
    assert ix.query(target.tolist(), 1)[0].chunk_id == "d02#0"
    # Fewer readable chunks than k: exactly the readable ones; none for no keys or unknown keys.
    assert len(ix.query(target.tolist(), 500, everyone)) == 15 * 5
    assert ix.query(target.tolist(), 5, []) == []
    assert ix.query(target.tolist(), 5, ["no-such-key"]) == []


def test_updated_in_place_only_when_the_store_generation_changes(corpus: Runtime) -> None:
    ix = dense(corpus)
    q = _unit(np.random.default_rng(3), 1)[0]
    first = ix.query(q.tolist(), 5)
    for _ in range(3):
        assert ix.query(q.tolist(), 5) == first
        ix.query(q.tolist(), 5, [acl_key(["group:a"])])
    assert (ix.loads, ix.patches) == (1, 0)

    put(corpus, "new", ["everyone"], q[None, :])  # upsert: Chroma, then the store commit
    hits = ix.query(q.tolist(), 5)
    assert hits[0].chunk_id == "new#0" and hits[0].score == pytest.approx(1.0, abs=1e-3)
    assert (ix.loads, ix.patches) == (1, 1)  # the new rows appended, nothing reloaded
    same(hits, corpus.index.query(q.tolist(), 5))

    # Removal deletes from the store first: vectors not yet deleted from Chroma are not served.
    corpus.documents.delete(["new"])
    assert "new#0" in corpus.index.chunk_ids()
    assert all(h.doc_id != "new" for h in ix.query(q.tolist(), 5))
    corpus.index.delete_docs(["new"])
    assert ix.query(q.tolist(), 5) == first
    assert (ix.loads, ix.patches) == (1, 2)


def _same_as_a_fresh_load(ix: DenseIndex, rt: Runtime, *, float16: bool) -> None:
    fresh = dense(rt, float16=float16)
    readers = [None, [acl_key(ACLS[0])], [acl_key(ACLS[1]), acl_key(ACLS[3])], [acl_key(["group:new"])]]
    for q in _unit(np.random.default_rng(11), 6):
        for keys in readers:
            got, want = ix.query(q.tolist(), 25, keys), fresh.query(q.tolist(), 25, keys)
            assert [(h.chunk_id, h.doc_id, h.score) for h in got] == [
                (h.chunk_id, h.doc_id, h.score) for h in want
            ]
    for doc_id, v in fresh.doc_vectors([f"d{d:02d}" for d in range(60)] + ["n1"]).items():
        assert np.allclose(ix.doc_vectors([doc_id])[doc_id], v, atol=1e-6)


@pytest.mark.parametrize("float16", [True, False])
def test_an_ingest_updates_the_matrix_in_place_exactly_as_a_reload(corpus: Runtime, float16: bool) -> None:
    ix = dense(corpus, float16=float16)
    ix.query(_unit(np.random.default_rng(5), 1)[0].tolist(), 5, [acl_key(ACLS[1])])  # a cached mask
    rng = np.random.default_rng(12)
    put(corpus, "d05", ACLS[0], _unit(rng, 3))  # re-chunked: 5 chunks became 3
    put(corpus, "n1", ["group:new"], _unit(rng, 4))  # added, with an ACL set never seen
    corpus.documents.delete(["d07"])  # removed (store first)
    corpus.index.delete_docs(["d07"])
    doc = corpus.documents.get("d09")  # ACL-only change: Chroma metadata, then the store
    assert doc is not None
    corpus.index.update_acl("d09", ACLS[0])
    corpus.documents.upsert(doc.model_copy(update={"acl": ACLS[0]}))
    _same_as_a_fresh_load(ix, corpus, float16=float16)
    assert (ix.loads, ix.patches) == (1, 1)


def test_a_change_log_that_does_not_reach_back_reloads(corpus: Runtime) -> None:
    ix = dense(corpus)
    q = _unit(np.random.default_rng(3), 1)[0]
    ix.query(q.tolist(), 5)
    put(corpus, "new", ["everyone"], q[None, :])
    corpus.documents.db.execute("DELETE FROM changes")
    _same_as_a_fresh_load(ix, corpus, float16=False)
    assert (ix.loads, ix.patches) == (2, 0)


def test_float16_ranks_as_float32_up_to_near_ties(corpus: Runtime) -> None:
    half, full = DenseIndex(lambda: corpus.index, corpus.documents, 300_000), dense(corpus)
    assert half.query(stored(corpus, "d03#2"), 1)[0].chunk_id == "d03#2"
    for q in _unit(np.random.default_rng(13), 10):
        got = {h.chunk_id: h.score for h in half.query(q.tolist(), 20)}
        exact = {h.chunk_id: h.score for h in full.query(q.tolist(), 300)}
        assert np.allclose(sorted(got.values()), sorted(exact.values())[-20:], atol=1e-3)
        kth = sorted(exact.values())[-20]
        assert all(exact[c] >= kth - 1e-3 for c in got)  # at worst a float32 near-tie swapped in
        assert all(abs(s - exact[c]) < 1e-3 for c, s in got.items())


def test_acl_change_in_place_moves_the_chunks_between_masks(corpus: Runtime) -> None:
    ix = dense(corpus)
    q = np.asarray(stored(corpus, "d01#0"))
    everyone = [acl_key(["everyone"])]
    assert all(h.doc_id != "d01" for h in ix.query(q.tolist(), 5, everyone))
    # What ingest does for an ACL-only change: Chroma metadata first, then the store commit.
    corpus.index.update_acl("d01", ["everyone"])
    doc = corpus.documents.get("d01")
    assert doc is not None
    corpus.documents.upsert(doc.model_copy(update={"acl": ["everyone"]}))
    assert ix.query(q.tolist(), 1, everyone)[0].chunk_id == "d01#0"


def test_empty_index(rt: Runtime) -> None:
    ix = dense(rt)
    q = _unit(np.random.default_rng(4), 1)[0].tolist()
    assert ix.query(q, 5) == []
    assert ix.query(q, 5, [acl_key(["everyone"])]) == []
    assert ix.exact
    put(rt, "only", ["everyone"], np.asarray([q], dtype=np.float32))
    assert [h.chunk_id for h in ix.query(q, 5)] == ["only#0"]


def test_above_max_chunks_chroma_answers(corpus: Runtime) -> None:
    ix = dense(corpus, max_chunks=100)  # the corpus holds 300
    q = _unit(np.random.default_rng(5), 1)[0].tolist()
    keys = [acl_key(["group:a"])]
    assert not ix.exact
    assert ix.query(q, 10, keys) == corpus.index.query(q, 10, keys)
    assert ix.loads == 0
    assert not dense(corpus, max_chunks=0).exact


@pytest.mark.slow
def test_real_embeddings_match_chroma(rt: Runtime, embedder) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "Invoices are generated on the first day of each month by the billing job.",
        "The VPN uses WireGuard; request access through the IT portal.",
        "Payroll runs on the 25th; contact HR for corrections.",
        "Rotate the database credentials every 90 days using the vault CLI.",
        "The office printer on floor 3 needs a badge to release jobs.",
        "Incident response: page the on-call engineer, then open a ticket.",
    ]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    for i, (text, vec) in enumerate(zip(texts, vectors, strict=True)):
        put(rt, f"doc{i}", ACLS[i % 2], vec[None, :], [text])
    ix = dense(rt)
    for question in ("when are invoices created?", "how do I get VPN access", "who fixes my salary"):
        q = embedder.embed_query(question)
        same(ix.query(q, 6), rt.index.query(q, 6))
        keys = [acl_key(["everyone"])]
        same(ix.query(q, 6, keys), rt.index.query(q, 6, keys))
    assert ix.query(embedder.embed_query("when are invoices created?"), 1)[0].doc_id == "doc0"


@pytest.mark.slow
def test_retriever_exact_and_chroma_paths_agree(example_runtime: Runtime) -> None:
    exact = example_runtime.retriever_for(None)
    chroma = example_runtime.retriever_for(
        example_runtime.settings.retrieval.model_copy(update={"exact_max_chunks": 0})
    )
    principals = [
        Principal(user="bob@acme.test"),
        Principal(user="fin@acme.test", groups=frozenset({"finance"})),
        Principal(user="root@acme.test", admin=True),
    ]
    for query in ("When are invoices generated?", "VPN access", "on-call incident runbook"):
        for p in principals:
            a = exact.search(query, p, top_k=10, now=EXAMPLE_NOW)
            b = chroma.search(query, p, top_k=10, now=EXAMPLE_NOW)
            assert [h.doc.doc_id for h in a.hits] == [h.doc.doc_id for h in b.hits]
            # The exact path's matrix is float16 (retrieval.dense_float16): cosines within ~3e-4.
            assert np.allclose([h.relevance for h in a.hits], [h.relevance for h in b.hits], atol=1e-3)
    assert exact._vectors.exact and not chroma._vectors.exact
