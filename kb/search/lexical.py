"""BM25 over the stored chunk texts, built once and cached in memory.

The index is built once and updated when ``DocumentStore.generation()`` changes (an ingest or a
delete), never per request: only the chunks of the documents changed since
(``DocumentStore.changed``) are dropped and re-tokenised, and their postings merged into the
term-major arrays (a linear pass, no re-sort), so an ingest that changes 1% of the documents does
not re-read and re-tokenise the other 99%. A change log
that does not reach back, or a change to more than ``PATCH_MAX_SHARE`` of the documents, rebuilds.

A query passes the set of documents the principal may read, and only their
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
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from kb.records import Chunk
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


@dataclass
class _Triplets:
    """Postings of some chunks, term-sorted, before they become (or join) a ``_Postings``."""

    chunk_ids: list[str]
    doc_ids: list[str]
    terms: np.ndarray  # int32, ascending
    rows: np.ndarray  # int32
    tf: np.ndarray  # float32
    lengths: np.ndarray  # float32 (chunks,)


def _triplets(
    chunks: Iterable[tuple[str, str, list[str]]], vocab: dict[str, int], first_row: int
) -> _Triplets:
    """Postings of ``(chunk_id, doc_id, tokens)`` triples numbered from ``first_row``; new terms
    are added to ``vocab``. Texts are read once and not kept."""
    chunk_ids: list[str] = []
    doc_ids: list[str] = []
    rows, terms, tfs, lengths = array("i"), array("i"), array("f"), array("f")
    for row, (chunk_id, doc_id, tokens) in enumerate(chunks, start=first_row):
        chunk_ids.append(chunk_id)
        doc_ids.append(doc_id)
        counts = Counter(vocab.setdefault(t, len(vocab)) for t in tokens)
        rows.extend([row] * len(counts))
        terms.extend(counts.keys())
        tfs.extend(counts.values())
        lengths.append(len(tokens))
    term = np.frombuffer(terms, dtype=np.int32)
    order = np.argsort(term, kind="stable")
    return _Triplets(
        chunk_ids,
        doc_ids,
        term[order],
        np.frombuffer(rows, dtype=np.int32)[order],
        np.frombuffer(tfs, dtype=np.float32)[order],
        np.frombuffer(lengths, dtype=np.float32).copy(),
    )


def _assemble(t: _Triplets, vocab: dict[str, int]) -> _Postings:
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(t.terms, minlength=len(vocab)), out=indptr[1:])
    return _Postings(
        chunk_ids=t.chunk_ids,
        doc_ids=t.doc_ids,
        docs=frozenset(t.doc_ids),
        vocab=vocab,
        indptr=indptr,
        rows=t.rows,
        tf=t.tf,
        lengths=t.lengths,
    )


def _postings(chunks: Iterable[tuple[str, str, list[str]]]) -> _Postings:
    """Postings of ``(chunk_id, doc_id, tokens)`` triples, read once (texts are not kept)."""
    vocab: dict[str, int] = {}
    return _assemble(_triplets(chunks, vocab, 0), vocab)


def _patched(p: _Postings, changed: Collection[str], new: Iterable[tuple[str, str, list[str]]]) -> _Postings:
    """``p`` without the chunks of the ``changed`` documents, plus the ``new`` chunks: the same
    postings (per term, by row) as a build over the result, without re-reading the rest."""
    keep = np.fromiter((d not in changed for d in p.doc_ids), dtype=bool, count=len(p.doc_ids))
    remap = (np.cumsum(keep, dtype=np.int64) - 1).astype(np.int32)
    kept_p = keep[p.rows]
    terms = np.repeat(np.arange(len(p.indptr) - 1, dtype=np.int32), np.diff(p.indptr))[kept_p]
    rows, tf = remap[p.rows[kept_p]], p.tf[kept_p]
    vocab = dict(p.vocab)
    added = _triplets(new, vocab, int(keep.sum()))
    # Both sides are term-sorted and every new row is after every kept one: inserting each new
    # posting after its term's old ones keeps rows ascending within a term, as a build does.
    at = np.searchsorted(terms, added.terms, side="right")
    merged = _Triplets(
        [c for c, k in zip(p.chunk_ids, keep, strict=True) if k] + added.chunk_ids,
        [d for d, k in zip(p.doc_ids, keep, strict=True) if k] + added.doc_ids,
        np.insert(terms, at, added.terms),
        np.insert(rows, at, added.rows),
        np.insert(tf, at, added.tf),
        np.concatenate([p.lengths[keep], added.lengths]),
    )
    return _assemble(merged, vocab)


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
    PATCH_MAX_SHARE = 0.25  # above this share of documents changed, a full build is cheaper

    def __init__(self, store: DocumentStore, titles: Callable[[str], str | None] | None = None) -> None:
        self._store = store
        self._titles = titles or (lambda _doc_id: None)
        self._generation: int | None = None
        self._full: _Postings | None = None
        self._everything: _View | None = None
        self._views: OrderedDict[frozenset[str], _View] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # full (re-tokenising) builds so far: caching is part of the contract
        self.patches = 0  # in-place updates after an ingest (instead of a build)

    def _refresh(self) -> _Postings:
        """The postings for the store's current generation (rebuilt only when it changed)."""
        generation = self._store.generation()
        if self._full is not None and self._generation == generation:
            return self._full
        patched = self._patch(self._full, self._generation, generation)
        self._everything = None
        self._views.clear()
        if patched is not None:
            self._full = patched
            self.patches += 1
        else:
            self._full = None  # let the old postings go before the rebuild
            self._full = _postings(self._tokenised(self._store.chunks()))
            self.builds += 1
            release_free_memory()  # the chunk texts and token lists just read are garbage now
        self._generation = generation
        return self._full

    def _tokenised(self, chunks: Iterable[Chunk]) -> Iterator[tuple[str, str, list[str]]]:
        for c in chunks:
            text = " ".join(filter(None, [self._titles(c.doc_id), c.heading, c.text]))
            yield c.chunk_id, c.doc_id, tokenize(text)

    def _patch(self, full: _Postings | None, since: int | None, until: int) -> _Postings | None:
        """``full`` updated for the documents changed since generation ``since``; None when a
        full build is needed (nothing built yet, the change log does not reach back, or too much
        changed)."""
        if full is None or since is None or not full.chunk_ids:
            return None
        changed = self._store.changed(since, until)
        if changed is None or len(changed) > self.PATCH_MAX_SHARE * len(full.docs):
            return None
        new = (c for d in sorted(changed) for c in self._store.chunks_for(d))
        return _patched(full, changed, self._tokenised(new))

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
