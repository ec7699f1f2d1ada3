"""BM25 over the stored chunk texts, built once and cached in memory.

The index is rebuilt only when ``DocumentStore.generation()`` changes (an ingest or a delete),
never per request. A query passes the set of documents the principal may read, and only their
chunks are candidates *before* the top n are chosen, so unreadable chunks never take a slot.
Each chunk is indexed with its document's title and heading, since those words are often what a
person searches for.

Scoring is bm25s's default BM25 ("lucene": k1 = 1.5, b = 0.75, idf = ln(1 + (N - df + 0.5) /
(df + 0.5))), computed at query time from one term-major posting list (chunk row and term
frequency per posting) shared by every reader set. A reader set is only a row mask: N, df and
the average chunk length are taken over the readable chunks, so the scores are exactly those of
a BM25 index built over the readable chunks alone, without building (or holding) one per reader
set. At 51k chunks this replaced ~300 MB of token lists and sets plus ~90 MB per cached reader
set (bm25s matrices and per-chunk token frozensets) with ~50 MB of arrays.
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from kb.search.memtrim import release_free_memory
from kb.search.ranking import LexicalScore
from kb.store.documents import DocumentStore

K1 = 1.5  # bm25s defaults, which this index reproduces
B = 0.75
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
class _Postings:
    """Term-major BM25 statistics of every stored chunk: one copy, shared by all reader sets."""

    chunk_ids: list[str]
    doc_ids: list[str]
    docs: frozenset[str]  # the distinct doc_ids, so a view check is not O(chunks) per query
    vocab: dict[str, int]  # token -> term id
    indptr: np.ndarray  # int64 (terms + 1): term t's postings are [indptr[t], indptr[t + 1])
    rows: np.ndarray  # int32: the chunk row of each posting
    tf: np.ndarray  # float32: the term's frequency in that chunk
    lengths: np.ndarray  # float32 (chunks,): tokens per chunk


@dataclass(frozen=True)
class _View:
    """The chunks a reader set may see, and the BM25 statistics over exactly those."""

    mask: np.ndarray | None  # bool (chunks,); None = every chunk
    n: int
    avg_len: float


def _postings(chunks: Iterable[tuple[str, str, list[str]]]) -> _Postings:
    """Postings of ``(chunk_id, doc_id, tokens)`` triples, read once (texts are not kept)."""
    chunk_ids: list[str] = []
    doc_ids: list[str] = []
    vocab: dict[str, int] = {}
    rows, terms, tfs, lengths = array("i"), array("i"), array("f"), array("f")
    for row, (chunk_id, doc_id, tokens) in enumerate(chunks):
        chunk_ids.append(chunk_id)
        doc_ids.append(doc_id)
        counts = Counter(vocab.setdefault(t, len(vocab)) for t in tokens)
        rows.extend([row] * len(counts))
        terms.extend(counts.keys())
        tfs.extend(counts.values())
        lengths.append(len(tokens))
    term = np.frombuffer(terms, dtype=np.int32)
    order = np.argsort(term, kind="stable")
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=len(vocab)), out=indptr[1:])
    return _Postings(
        chunk_ids=chunk_ids,
        doc_ids=doc_ids,
        docs=frozenset(doc_ids),
        vocab=vocab,
        indptr=indptr,
        rows=np.frombuffer(rows, dtype=np.int32)[order],
        tf=np.frombuffer(tfs, dtype=np.float32)[order],
        lengths=np.frombuffer(lengths, dtype=np.float32).copy(),
    )


def _view(p: _Postings, mask: np.ndarray | None) -> _View:
    lengths = p.lengths if mask is None else p.lengths[mask]
    return _View(mask, len(lengths), float(lengths.mean(dtype=np.float64)) if len(lengths) else 0.0)


class LexicalIndex:
    """BM25 over ``store.chunks()``; ``titles`` gives a document's title (or None).

    ACL: with ``allowed_docs`` a query scores only those documents' chunks, with BM25's N, IDF
    and average length taken over them alone (a cached row mask per reader set, the last
    ``VIEWS`` kept). Masking a shared index's scores would already keep unreadable chunks out
    of the top n, but its IDF and average length would still be computed over their text; here
    a readable chunk's score does not depend on any text the principal cannot read.
    """

    VIEWS = 32  # distinct reader sets kept (one per combination of groups in practice); 1 byte/chunk

    def __init__(self, store: DocumentStore, titles: Callable[[str], str | None] | None = None) -> None:
        self._store = store
        self._titles = titles or (lambda _doc_id: None)
        self._generation: int | None = None
        self._full: _Postings | None = None
        self._everything: _View | None = None
        self._views: OrderedDict[frozenset[str], _View] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # full (re-tokenising) builds so far: caching is part of the contract

    def _refresh(self) -> _Postings:
        """The postings for the store's current generation (rebuilt only when it changed)."""
        generation = self._store.generation()
        if self._full is None or self._generation != generation:
            self._full = self._everything = None  # let the old postings go before the rebuild
            self._views.clear()
            self._full = _postings(
                (
                    c.chunk_id,
                    c.doc_id,
                    tokenize(" ".join(filter(None, [self._titles(c.doc_id), c.heading, c.text]))),
                )
                for c in self._store.chunks()
            )
            self._generation = generation
            self.builds += 1
            release_free_memory()  # the chunk texts and token lists just read are garbage now
        return self._full

    def _view(self, allowed_docs: Collection[str] | None) -> tuple[_Postings, _View]:
        with self._lock:
            full = self._refresh()
            key = None if allowed_docs is None else frozenset(allowed_docs)  # free for a frozenset
            if key is None or (len(key) >= len(full.docs) and full.docs <= key):
                if self._everything is None:
                    self._everything = _view(full, None)
                return full, self._everything
            view = self._views.get(key)
            if view is None:
                mask = np.fromiter((d in key for d in full.doc_ids), dtype=bool, count=len(full.doc_ids))
                view = self._views[key] = _view(full, mask)
                if len(self._views) > self.VIEWS:
                    self._views.popitem(last=False)
            self._views.move_to_end(key)
            return full, view

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
        full, view = self._view(allowed_docs)
        terms = tokenize(query)
        if view.n == 0 or not terms or n <= 0:
            return {}
        scores = np.zeros(len(full.chunk_ids), dtype=np.float32)
        covered = np.zeros(len(full.chunk_ids), dtype=np.int32)
        for term, times in Counter(terms).items():
            t = full.vocab.get(term)
            if t is None:
                continue
            rows = full.rows[full.indptr[t] : full.indptr[t + 1]]
            tf = full.tf[full.indptr[t] : full.indptr[t + 1]]
            if view.mask is not None:
                keep = view.mask[rows]
                rows, tf = rows[keep], tf[keep]
            df = len(rows)
            if df == 0:
                continue
            idf = math.log(1 + (view.n - df + 0.5) / (df + 0.5))
            norm = K1 * ((1 - B) + B * full.lengths[rows] / view.avg_len)
            scores[rows] += (times * idf * tf / (norm + tf)).astype(np.float32)
            covered[rows] += 1
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > n:
            # Keep only scores >= the n-th best before the Python sort (a common term matches
            # most chunks); ties at the cut stay in, so the order is the same as sorting all.
            kth = np.partition(scores[candidates], len(candidates) - n)[len(candidates) - n]
            candidates = candidates[scores[candidates] >= kth]
        order = sorted(candidates, key=lambda i: (-scores[i], full.chunk_ids[i]))[:n]
        unique = len(set(terms))
        return {full.chunk_ids[i]: LexicalScore(float(scores[i]), int(covered[i]) / unique) for i in order}
