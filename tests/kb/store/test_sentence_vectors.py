"""SentenceVectors: float16 vectors looked up by the text embedded, per model, gone with their chunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kb.records import Chunk, Document
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.sentence_vectors import SentenceRow, SentenceVectors

MODEL = "test-model"


def _doc(doc_id: str) -> Document:
    return Document(doc_id=doc_id, source="notion", title=f"Title {doc_id}", text="x")


def _chunks(doc_id: str, n: int) -> list[Chunk]:
    return [Chunk(chunk_id=f"{doc_id}#{i}", doc_id=doc_id, index=i, text=f"t{i}") for i in range(n)]


def _unit(seed: int, dim: int = 8) -> list[float]:
    v = np.random.default_rng(seed).normal(size=dim)
    return (v / np.linalg.norm(v)).tolist()


def _setup(tmp_path: Path) -> tuple[DocumentStore, SentenceVectors]:
    db = Database(tmp_path / "kb.sqlite")
    return DocumentStore(db), SentenceVectors(db)


def test_vectors_round_trip_as_float16_by_text(tmp_path: Path) -> None:
    docs, store = _setup(tmp_path)
    docs.upsert(_doc("a"), _chunks("a", 2))
    docs.upsert(_doc("b"), _chunks("b", 1))
    texts = {"a#0": ["A: one sentence.", "A: two sentence."], "a#1": ["A: three."], "b#0": ["B: four."]}
    vectors = {t: _unit(i) for i, t in enumerate(t for ts in texts.values() for t in ts)}
    rows = [SentenceRow(cid, t, vectors[t]) for cid, ts in texts.items() for t in ts]
    assert store.put(MODEL, rows) == 4
    blob = store.db.execute("SELECT vector FROM sentence_vectors LIMIT 1").fetchone()[0]
    assert len(blob) == 8 * 2  # 8 dims x 2 bytes

    found = store.lookup(MODEL, ["A: three.", "B: four.", "A: one sentence.", "never stored"])
    assert set(found) == {"A: three.", "B: four.", "A: one sentence."}
    for text, vec in found.items():
        assert vec.dtype == np.float32
        assert np.allclose(vec, vectors[text], atol=2e-3)
        assert not np.array_equal(vec, np.asarray(vectors[text], dtype=np.float32))  # float16 really
    assert store.lookup("other-model", ["A: three."]) == {}
    assert store.lookup(MODEL, []) == {}


def test_a_lookup_of_many_texts_is_split_into_bounded_queries(tmp_path: Path) -> None:
    docs, store = _setup(tmp_path)
    docs.upsert(_doc("a"), _chunks("a", 1))
    texts = [f"sentence {i}." for i in range(1200)]
    store.put(MODEL, [SentenceRow("a#0", t, _unit(i)) for i, t in enumerate(texts)])
    assert len(store.lookup(MODEL, texts)) == 1200


def test_rows_go_with_their_chunks_and_missing_lists_the_rest(tmp_path: Path) -> None:
    docs, store = _setup(tmp_path)
    docs.upsert(_doc("a"), _chunks("a", 2))
    docs.upsert(_doc("b"), _chunks("b", 1))
    store.put(MODEL, [SentenceRow("a#0", "s.", _unit(1)), SentenceRow("a#1", "u.", _unit(3))])
    store.put(MODEL, [SentenceRow("b#0", "t.", _unit(2))])
    assert store.missing(MODEL) == []
    assert store.missing("other-model") == ["a#0", "a#1", "b#0"]

    docs.upsert(_doc("a"), _chunks("a", 1))  # re-chunked: its old rows go
    assert store.missing(MODEL) == ["a#0"]
    assert store.lookup(MODEL, ["s.", "u."]) == {}
    docs.delete(["b"])
    assert store.count() == 0
    # A row for a chunk that is not (or no longer) stored is not written.
    store.put(MODEL, [SentenceRow("gone#0", "v.", _unit(4))])
    assert store.count() == 0
