"""Candidate-sentence vectors computed at ingest, so ``POST /v1/ask`` embeds only the question.

The ingest pipeline asks ``kb.answer.extractive.sentence_texts`` what the extractive answerer
would embed for each new chunk, embeds those texts in the same model call as the chunks, and
stores them with ``encode`` (``kb.store.sentence_vectors``: float16, keyed by the hash of the embedded text).
``StoredSentenceVectors.lookup`` reads them back for the sources of an answer in one query.

On the example data (267 chunks) the ingest embeds 766 sentences besides the chunks (3.9x the
texts, but short ones: docs/benchmarks.md has the model time), stored in 0.6 MB; an answer no
longer makes a model call of its own (it made one over the question and up to 34 sentences).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.store.db import Database
from kb.store.sentence_vectors import KEY_BYTES, ChunkSentenceVectors, SentenceVectors, text_key

__all__ = ["StoredSentenceVectors", "encode"]


def encode(chunk_id: str, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> ChunkSentenceVectors:
    """A chunk's row: the texts' keys and their vectors as float16 (empty without texts)."""
    if not texts:
        return ChunkSentenceVectors(chunk_id, b"", b"", 0)
    matrix = np.asarray(vectors, dtype="<f2").reshape(len(texts), -1)
    keys = b"".join(text_key(t) for t in texts)
    return ChunkSentenceVectors(chunk_id, keys, matrix.tobytes(), int(matrix.shape[1]))


class StoredSentenceVectors:
    """The answerer's ``SentenceVectorSource`` over the store."""

    def __init__(self, db: Database, model: str) -> None:
        self._store = SentenceVectors(db)
        self._model = model

    def lookup(self, doc_ids: Sequence[str], texts: Sequence[str]) -> dict[str, list[float]]:
        wanted = {text_key(t): t for t in texts}
        out: dict[str, list[float]] = {}
        for row in self._store.for_docs(self._model, list(dict.fromkeys(doc_ids))):
            n = len(row.keys) // KEY_BYTES
            matrix = np.frombuffer(row.vectors, dtype="<f2").reshape(n, row.dim)
            for i in range(n):
                text = wanted.get(row.keys[i * KEY_BYTES : (i + 1) * KEY_BYTES])
                if text is not None and text not in out:
                    out[text] = matrix[i].astype(np.float32).tolist()
        return out
