"""BM25 over the stored chunk texts (bm25s), built once and cached in memory.

The index is rebuilt only when ``DocumentStore.generation()`` changes (an ingest or a delete),
never per request. A query passes the set of documents the principal may read, and only their
chunks are candidates *before* the top n are chosen, so unreadable chunks never take a slot.
Each chunk is indexed with its document's title and heading, since those words are often what a
person searches for.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from kb.ranking import LexicalScore
from kb.store.documents import DocumentStore

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# bm25s's English list is short; these question words carry no topic either.
STOPWORDS = frozenset(STOPWORDS_EN) | {
    "what",
    "when",
    "where",
    "which",
    "who",
    "whom",
    "why",
    "how",
    "do",
    "does",
    "did",
    "can",
    "could",
    "should",
    "would",
    "we",
    "our",
    "you",
    "your",
    "my",
    "me",
    "has",
    "have",
    "had",
    "from",
    "about",
    "i",
    "its",
    "any",
    "all",
    "some",
    "there",
    "here",
    "than",
    "so",
    "up",
}


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, with plural 's' folded (no stemmer installed)."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if tok in STOPWORDS:
            continue
        if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
            tok = tok[:-1]
        out.append(tok)
    return out


@dataclass(frozen=True)
class _Built:
    model: bm25s.BM25 | None  # None when there is nothing to index
    chunk_ids: list[str]
    doc_ids: list[str]
    corpus: list[list[str]]  # tokens per chunk
    tokens: list[frozenset[str]]  # the same as sets, for query-term coverage
    docs: frozenset[str]  # the distinct doc_ids, so a view check is not O(chunks) per query


def _index(chunk_ids: list[str], doc_ids: list[str], corpus: list[list[str]]) -> _Built:
    model = None
    if chunk_ids:
        model = bm25s.BM25()
        model.index(corpus, show_progress=False)
    return _Built(model, chunk_ids, doc_ids, corpus, [frozenset(t) for t in corpus], frozenset(doc_ids))


class LexicalIndex:
    """BM25 over ``store.chunks()``; ``titles`` gives a document's title (or None).

    ACL: with ``allowed_docs`` a query runs on an index of exactly those documents' chunks
    (built from the cached tokens, kept for the last few distinct reader sets). Masking a
    shared index would already keep unreadable chunks out of the top n, but BM25's IDF and
    average length would still be computed over their text; a per-view index means a readable
    chunk's score does not depend on any text the principal cannot read.
    """

    VIEWS = 16  # distinct reader sets kept (one per combination of groups in practice)

    def __init__(self, store: DocumentStore, titles: Callable[[str], str | None] | None = None) -> None:
        self._store = store
        self._titles = titles or (lambda _doc_id: None)
        self._generation: int | None = None
        self._full: _Built | None = None
        self._views: OrderedDict[frozenset[str], _Built] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # full (re-tokenising) builds so far: caching is part of the contract

    def _refresh(self) -> _Built:
        """The full index for the store's current generation (rebuilt only when it changed)."""
        generation = self._store.generation()
        if self._full is None or self._generation != generation:
            ids, docs, corpus = [], [], []
            for c in self._store.chunks():
                ids.append(c.chunk_id)
                docs.append(c.doc_id)
                corpus.append(tokenize(" ".join(filter(None, [self._titles(c.doc_id), c.heading, c.text]))))
            self._full = _index(ids, docs, corpus)
            self._generation = generation
            self._views.clear()
            self.builds += 1
        return self._full

    def _view(self, allowed_docs: Collection[str] | None) -> _Built:
        with self._lock:
            full = self._refresh()
            if allowed_docs is None:
                return full
            key = frozenset(allowed_docs)  # free when the caller passes a frozenset
            if len(key) >= len(full.docs) and full.docs <= key:
                return full
            view = self._views.get(key)
            if view is None:
                rows = [i for i, d in enumerate(full.doc_ids) if d in key]
                view = _index(
                    [full.chunk_ids[i] for i in rows],
                    [full.doc_ids[i] for i in rows],
                    [full.corpus[i] for i in rows],
                )
                self._views[key] = view
                if len(self._views) > self.VIEWS:
                    self._views.popitem(last=False)
            self._views.move_to_end(key)
            return view

    def search(
        self, query: str, n: int, allowed_docs: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top ``n`` (chunk_id, score) with score > 0, best first (ties by chunk id); with
        ``allowed_docs``, only chunks of those documents are candidates."""
        return [(c, s.score) for c, s in self.scores(query, n, allowed_docs).items()]

    def scores(
        self, query: str, n: int, allowed_docs: Collection[str] | None = None
    ) -> dict[str, LexicalScore]:
        """Like ``search``, with each chunk's share of the query terms (insertion order = rank)."""
        built = self._view(allowed_docs)
        terms = tokenize(query)
        if built.model is None or not terms or n <= 0:
            return {}
        scores = np.asarray(built.model.get_scores(terms), dtype=float)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > n:
            # Keep only scores >= the n-th best before the Python sort (a common term matches
            # most chunks); ties at the cut stay in, so the order is the same as sorting all.
            kth = np.partition(scores[candidates], len(candidates) - n)[len(candidates) - n]
            candidates = candidates[scores[candidates] >= kth]
        order = sorted(candidates, key=lambda i: (-scores[i], built.chunk_ids[i]))[:n]
        unique = set(terms)
        return {
            built.chunk_ids[i]: LexicalScore(float(scores[i]), len(unique & built.tokens[i]) / len(unique))
            for i in order
        }
