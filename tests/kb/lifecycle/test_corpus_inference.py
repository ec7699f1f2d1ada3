"""Whole-corpus inference (at ingest) says exactly what the pairwise rule says of each pair, in
blocks, without the quadratic Python loop; owners' "not replaced" pairs are never inferred."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import kb.lifecycle.corpus_inference as corpus_inference
from kb.lifecycle.corpus_inference import infer_corpus
from kb.lifecycle.inference import infer
from kb.records import Document
from kb.search.lexical import tokenize

WORDS = ["deploy", "production", "vpn", "access", "backup", "database", "onboarding", "alerts", "pager"]


def _corpus(seed: int, n: int) -> tuple[list[Document], dict[str, np.ndarray]]:
    """Pages in a few topic families: near-duplicate vectors and titles within a family."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    topics = [nrng.normal(size=16) for _ in range(4)]
    docs, vectors = [], {}
    for i in range(n):
        t = rng.randrange(len(topics))
        v = topics[t] + nrng.normal(scale=rng.choice([0.1, 0.4, 1.5]), size=16)
        doc_id = f"notion:{i:032x}"
        title = " ".join(rng.sample([*WORDS[t * 2 : t * 2 + 3], WORDS[-1]], k=2))
        edited = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 2500))
        status = "deprecated" if rng.random() < 0.1 else "active"
        docs.append(
            Document(doc_id=doc_id, source="notion", title=title, last_edited_at=edited, status=status)
        )
        vectors[doc_id] = (v / np.linalg.norm(v)).astype(np.float32)
    return docs, vectors


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_corpus_inference_equals_the_pairwise_rule(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    docs, vectors = _corpus(seed, 60)
    monkeypatch.setattr(corpus_inference, "BLOCK", 7)  # several blocks, a ragged last one
    got = infer_corpus(docs, vectors, tokenize)
    want = infer(docs, vectors, tokenize)
    assert want, "the fixture must hold some pairs"
    assert {k: [(s.doc_id, s.confidence, s.reason) for s in v] for k, v in got.items()} == {
        k: [(s.doc_id, s.confidence, s.reason) for s in v] for k, v in want.items()
    }


def test_rejected_pairs_pages_without_vectors_or_dates_are_never_paired() -> None:
    docs, vectors = _corpus(4, 40)
    full = infer_corpus(docs, vectors, tokenize)
    old, succs = next(iter(full.items()))
    rejected = {(old, succs[0].doc_id)}
    without = infer_corpus(docs, vectors, tokenize, rejected=rejected)
    assert succs[0].doc_id not in [s.doc_id for s in without.get(old, [])]
    assert sum(map(len, without.values())) == sum(map(len, full.values())) - 1

    no_vector = {k: v for k, v in vectors.items() if k != succs[0].doc_id}
    assert all(
        s.doc_id != succs[0].doc_id for v in infer_corpus(docs, no_vector, tokenize).values() for s in v
    )
    undated = [d.model_copy(update={"last_edited_at": None}) if d.doc_id == old else d for d in docs]
    assert old not in infer_corpus(undated, vectors, tokenize)
    assert infer_corpus(docs[:1], vectors, tokenize) == {}
