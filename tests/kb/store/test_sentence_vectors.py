"""SentenceVectors: one row per chunk, looked up by document in one query, gone with its chunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kb.answer.precomputed import StoredSentenceVectors, encode
from kb.records import Chunk, Document
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.sentence_vectors import SentenceVectors

MODEL = "test-model"


def _doc(doc_id: str) -> Document:
    return Document(doc_id=doc_id, source="notion", title=f"Title {doc_id}", text="x")


def _chunks(doc_id: str, n: int) -> list[Chunk]:
    return [Chunk(chunk_id=f"{doc_id}#{i}", doc_id=doc_id, index=i, text=f"t{i}") for i in range(n)]


def _unit(seed: int, dim: int = 8) -> list[float]:
    v = np.random.default_rng(seed).normal(size=dim)
    return (v / np.linalg.norm(v)).tolist()


def _setup(tmp_path: Path) -> tuple[Database, DocumentStore, SentenceVectors]:
    db = Database(tmp_path / "kb.sqlite")
    docs = DocumentStore(db)
    return db, docs, SentenceVectors(db)


def test_vectors_round_trip_as_float16_by_text(tmp_path: Path) -> None:
    db, docs, store = _setup(tmp_path)
    docs.upsert(_doc("a"), _chunks("a", 2))
    docs.upsert(_doc("b"), _chunks("b", 1))
    texts = {"a#0": ["A: one sentence.", "A: two sentence."], "a#1": ["A: three."], "b#0": ["B: four."]}
    vectors = {t: _unit(i) for i, t in enumerate(t for ts in texts.values() for t in ts)}
    rows = [encode(cid, ts, [vectors[t] for t in ts]) for cid, ts in texts.items()]
    assert store.put(MODEL, rows) == 3
    assert len(rows[0].vectors) == 2 * 8 * 2  # two sentences x 8 dims x 2 bytes

    asked = ["A: three.", "B: four.", "A: one sentence.", "none"]
    found = StoredSentenceVectors(db, MODEL).lookup(["a"], asked)
    assert set(found) == {"A: three.", "A: one sentence."}  # b is not asked for, "none" not stored
    for text, vec in found.items():
        assert np.allclose(vec, vectors[text], atol=2e-3)
    assert StoredSentenceVectors(db, "other-model").lookup(["a"], ["A: three."]) == {}


def test_rows_go_with_their_chunks_and_missing_lists_the_rest(tmp_path: Path) -> None:
    _, docs, store = _setup(tmp_path)
    docs.upsert(_doc("a"), _chunks("a", 2))
    docs.upsert(_doc("b"), _chunks("b", 1))
    rows = [encode("a#0", ["s."], [_unit(1)]), encode("a#1", [], []), encode("b#0", ["t."], [_unit(2)])]
    store.put(MODEL, rows)
    assert store.missing(MODEL) == []
    assert store.missing("other-model") == ["a#0", "a#1", "b#0"]

    docs.upsert(_doc("a"), _chunks("a", 1))  # re-chunked: its old rows go
    assert store.missing(MODEL) == ["a#0"]
    docs.delete(["b"])
    assert store.count() == 0
    # A row for a chunk that is not (or no longer) stored is not written.
    assert store.put(MODEL, [encode("gone#0", ["u."], [_unit(3)])]) == 1
    assert store.count() == 0
