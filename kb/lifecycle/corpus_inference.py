"""Inferred successors over a whole corpus (at ingest), with the rule of ``kb.lifecycle.inference``.

``kb.lifecycle.inference.infer`` compares every pair it is given, which is right for a query's
30 candidates and quadratic in Python for a corpus. Here the document vectors are compared in
numpy blocks first, and only pairs that could pass the rule go to ``infer``: the newer page was
edited at least ``MIN_GAP_DAYS`` later, and either the contents are near-identical (cosine >=
``SAME_CONTENT``) or they are similar (>= ``TITLE_CONTENT``) and the titles share a word. These
are necessary conditions of the rule, so the result is exactly what ``infer`` says of each pair,
and a threshold change there applies here too.

Pure: records, vectors and a tokenizer in; ``old doc id -> [Successor]`` (best first) out. Which
reader may see a successor is decided later, per reader, by ``kb.lifecycle.successors.judge``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from kb.lifecycle.inference import MIN_GAP_DAYS, SAME_CONTENT, TITLE_CONTENT, edited, infer
from kb.lifecycle.successors import Successor
from kb.records import Document

BLOCK = 512  # rows of the similarity matrix computed at once (BLOCK x n float32)


def infer_corpus(
    docs: Sequence[Document],
    vectors: Mapping[str, np.ndarray],
    tokenize: Callable[[str], list[str]],
    *,
    rejected: Collection[tuple[str, str]] = (),
) -> dict[str, list[Successor]]:
    """old doc id -> its inferred successors among ``docs``, most confident first.

    ``vectors``: each document's normalised mean chunk vector (documents without one are never
    paired). ``rejected``: (old, new) pairs an owner answered "not replaced": never inferred.
    """
    usable = [d for d in docs if d.doc_id in vectors and edited(d) is not None]
    if len(usable) < 2:
        return {}
    matrix = np.stack([np.asarray(vectors[d.doc_id], dtype=np.float32) for d in usable])
    days = np.array([edited(d).timestamp() / 86400 for d in usable])  # type: ignore[union-attr]
    words = [set(tokenize(d.title)) for d in usable]
    out: dict[str, list[Successor]] = {}
    for start in range(0, len(usable), BLOCK):
        sims = matrix[start : start + BLOCK] @ matrix.T
        later = days[None, :] - days[start : start + BLOCK, None] >= MIN_GAP_DAYS
        for i, j in zip(*np.nonzero(later & (sims >= TITLE_CONTENT)), strict=True):
            a, b = usable[start + int(i)], usable[int(j)]
            if sims[i, j] < SAME_CONTENT and not words[start + int(i)] & words[int(j)]:
                continue
            if (a.doc_id, b.doc_id) in rejected:
                continue
            for s in infer([a, b], vectors, tokenize).get(a.doc_id, []):
                out.setdefault(a.doc_id, []).append(s)
    return {k: sorted(v, key=lambda s: (-s.confidence, s.doc_id)) for k, v in out.items()}
