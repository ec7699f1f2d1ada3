"""After an ingest: infer which pages replace which across the whole store, and store it.

The document vectors are the mean of each page's chunk vectors, read from the vector index
(normalised per chunk first, as ``kb.search.dense.DenseIndex.doc_vectors`` does, so ingest and
query time compare pages alike). Pairs an owner answered "not replaced" are not stored. The rule
itself is ``kb.lifecycle.inference`` (through ``kb.lifecycle.corpus_inference``).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from kb.clock import Clock
from kb.lifecycle.corpus_inference import infer_corpus
from kb.search.index import VectorIndex
from kb.search.lexical import tokenize
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.inferred_successors import InferredPair, InferredSuccessors
from kb.store.successor_decisions import SuccessorDecisions


def document_vectors(index: VectorIndex, doc_ids: Collection[str]) -> dict[str, np.ndarray]:
    """doc id -> normalised mean of its normalised chunk vectors, for ``doc_ids``."""
    sums: dict[str, np.ndarray] = {}
    for page in index.vectors():
        norms = np.linalg.norm(page.embeddings, axis=1, keepdims=True)
        rows = page.embeddings / np.where(norms > 0, norms, 1.0)
        for chunk_id, row in zip(page.chunk_ids, rows, strict=True):
            doc_id = chunk_id.rsplit("#", 1)[0]
            if doc_id in doc_ids:
                acc = sums.get(doc_id)
                sums[doc_id] = row.copy() if acc is None else acc + row
    out = {}
    for doc_id, v in sums.items():
        n = float(np.linalg.norm(v))
        out[doc_id] = v / n if n > 0 else v
    return out


def refresh_inferred(db: Database, documents: DocumentStore, index: VectorIndex, clock: Clock) -> int:
    """Recompute and store every inferred successor pair; returns how many were stored."""
    docs = documents.list(with_text=False)
    vectors = document_vectors(index, {d.doc_id for d in docs})
    rejected = {
        (d.doc_id, d.successor_id) for d in SuccessorDecisions(db).latest() if d.decision == "not_replaced"
    }
    found = infer_corpus(docs, vectors, tokenize, rejected=rejected)
    now = clock.now()
    pairs = [
        InferredPair(
            doc_id=old, successor_id=s.doc_id, confidence=s.confidence, reason=s.reason, inferred_at=now
        )
        for old, succs in found.items()
        for s in succs
    ]
    InferredSuccessors(db).replace_all(pairs)
    return len(pairs)
