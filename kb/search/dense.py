"""Exact dense search in the API process: every stored vector in one float16 matrix.

Why: Chroma's HNSW query with an ACL filter (``where={"acl_key": {"$in": [...]}}``) cost
170-213 ms CPU at 51k chunks against 7.9 ms unfiltered, and most readers take the filtered path.
An exact scan is ``matrix @ query`` (51k x 384 float16 = 37.5 MB, a few ms), and the ACL becomes a
boolean row mask applied *before* the top k is chosen: unreadable chunks never take a slot, there
is no re-query, and the cost is the same whatever the reader may or may not see.

The matrix is loaded from the Chroma collection once; when the store's generation changes
(``DocumentStore.generation()``, as ``kb.search.lexical`` does) only the rows of the documents
written or deleted since (``DocumentStore.changed``) are dropped and re-read from Chroma
(``VectorIndex.vectors_of``), so an ingest that changes 1% of the documents costs a search 1% of
a load (plus one copy of the matrix), not the 3-4 s a reload took at 51k chunks. A change log
that does not reach back (a store written before it existed) or a change to more than
``PATCH_MAX_SHARE`` of the documents reloads everything. Rows are kept only for chunks the store
knows when they are read: ingest writes vectors before its commit (which bumps the generation,
so they are picked up by the next update), and a removal deletes from the store
first, so vectors it has not deleted yet are never loaded. A chunk's document comes from its id
(``<doc_id>#<index>``) and its ACL key from the store's record of that document (the same keys
the retriever computes a reader's from), so Chroma's metadata is never read: that halves the
load time and memory. Only the vectors (normalised, float16: ``retrieval.dense_float16``), chunk
ids, doc ids and a small integer code per chunk for its ``acl_key`` are kept.

float16 halves the matrix; the product runs in torch (already loaded for the model), whose
float16 matrix-vector product accumulates in float32: at 51k x 384 it took 12.6 ms against numpy's
float32 19-20 ms on this machine under load (numpy's own float16 product has no BLAS: 277 ms), and
scores differed from float32 by at most 9e-5 (top 50 identical). The evals (docs/evals.md) found
recall unchanged.

Above ``retrieval.exact_max_chunks`` chunks (or when it is 0) the collection is not loaded and
queries go to Chroma (``VectorIndex.query``) as before.

The generation is the store's, shared by every process, so a ``kb ingest`` in another process is
picked up by the next request after its commit; embedded Chroma is re-opened first
(``VectorIndex.refresh``), since its in-memory index does not see other processes' writes.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kb.errors import StoreError
from kb.search.memtrim import release_free_memory
from kb.store.documents import DocumentStore

if TYPE_CHECKING:
    from kb.search.index import ChunkHit, VectorIndex


log = logging.getLogger(__name__)
_blas_limited = False


def _single_threaded_blas() -> None:
    """One BLAS thread for this process's numpy (process-wide, once).

    The scan is one memory-bound matrix-vector product per request, and requests already run in
    parallel. Measured at 51k chunks on this 2-core machine under load: with OpenBLAS's 2 threads
    the product took 12 ms p50 and a whole search 44-53 ms wall for 14 ms of CPU (waiting for the
    second thread); with 1 thread the product took 4.4 ms and a search 14.5 ms. torch (the model)
    has its own thread pool and is not affected. Needs ``threadpoolctl`` (installed with
    sentence-transformers); without it this is a no-op.
    """
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")  # kept until the process ends


def _scores(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``vectors @ q`` as float32 (writable): float16 rows go through torch (see the docstring)."""
    if vectors.dtype == np.float16:
        import torch

        product = torch.from_numpy(vectors) @ torch.from_numpy(q.astype(np.float16))
        return np.asarray(product.float().numpy())
    return np.asarray(vectors @ q)


def _normalised(rows: np.ndarray) -> np.ndarray:
    rows = np.array(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    np.divide(rows, norms, out=rows, where=norms > 0)
    return rows


@dataclass(frozen=True)
class _Matrix:
    generation: int
    vectors: np.ndarray  # float16 or float32 (n, dim), rows normalised
    chunk_ids: list[str]
    doc_ids: list[str]  # one shared str object per document
    acl_codes: np.ndarray  # int32 (n,): index into acl_keys
    acl_keys: dict[str, int]  # acl_key -> code


@dataclass(frozen=True)
class _Delegated:
    """The collection is above ``max_chunks`` (as of ``generation``): Chroma answers."""

    generation: int


class DenseIndex:
    """``query`` has ``VectorIndex.query``'s contract (cosine scores, ``acl_keys`` filter)."""

    MASKS = 64  # distinct reader sets whose row masks are kept
    LOAD_TRIES = 3  # reloads when the collection's size changed while it was being read
    PATCH_MAX_SHARE = 0.25  # above this share of documents changed, a reload is cheaper

    def __init__(
        self,
        index: Callable[[], VectorIndex],
        store: DocumentStore,
        max_chunks: int,
        acl_keys: Callable[[], Mapping[str, str]] | None = None,
        *,
        float16: bool = True,
    ) -> None:
        """``acl_keys()``: doc id -> ``kb.search.index.acl_key`` of its ACL for the store's current
        documents (the retriever passes its document map's; default: read from the store)."""
        self._dtype = np.float16 if float16 else np.float32
        self._index = index
        self._store = store
        self.max_chunks = max_chunks
        self._acl_keys = acl_keys or self._stored_acl_keys
        self._state: _Matrix | _Delegated | None = None
        self._masks: OrderedDict[tuple[str, ...], tuple[np.ndarray, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # matrix loads so far: caching is part of the contract
        self.patches = 0  # in-place updates after an ingest (instead of a load)
        self._doc_rows: dict[int, dict[str, np.ndarray]] = {}
        self._doc_means: dict[int, dict[str, np.ndarray]] = {}

    def _stored_acl_keys(self) -> dict[str, str]:
        from kb.search.index import acl_key

        return {d.doc_id: acl_key(d.acl) for d in self._store.list()}

    # -- cache ----------------------------------------------------------------------------------
    def _refresh(self) -> _Matrix | _Delegated:
        generation = self._store.generation()
        state = self._state
        if state is not None and state.generation == generation:
            return state
        with self._lock:
            state = self._state
            if state is None or state.generation != generation:
                previous = state
                self._masks.clear()
                try:
                    if state is not None:
                        # Another process may have written the vectors: re-open embedded Chroma.
                        self._index().refresh()
                    patched = self._patch(state, generation) if isinstance(state, _Matrix) else None
                    if patched is not None:
                        state = self._state = patched
                    else:
                        self._state = None  # drop the old matrix before building the new one
                        state = self._state = self._load(generation)
                except StoreError as err:
                    if previous is None:
                        raise
                    # An ingest in another process is writing Chroma this instant (it can answer
                    # "Error finding id" mid-write): serve the last complete matrix, try again on
                    # the next query, rather than fail the request.
                    log.warning(
                        "vector index not readable yet (%s); serving generation %d", err, previous.generation
                    )
                    self._state = previous
                    return previous
            return state

    def _patch(self, m: _Matrix, generation: int) -> _Matrix | None:
        """``m`` with the rows of the documents changed since its generation replaced by what
        the store and Chroma hold now; None when a reload is needed."""
        changed = self._store.changed(m.generation, generation)
        if (
            changed is None
            or not m.chunk_ids
            or len(changed) > self.PATCH_MAX_SHARE * max(len(set(m.doc_ids)), 1)
        ):
            return None
        doc_keys = self._acl_keys()
        ids = [c for c in self._store.chunk_ids_of(sorted(changed)) if c.rsplit("#", 1)[0] in doc_keys]
        page = self._index().vectors_of(ids) if ids else None
        held = dict(zip(page.chunk_ids, page.embeddings, strict=True)) if page else {}
        new_ids = [c for c in ids if c in held]
        keep = np.fromiter((d not in changed for d in m.doc_ids), dtype=bool, count=len(m.doc_ids))
        if int(keep.sum()) + len(new_ids) > self.max_chunks:
            return None
        keys = dict(m.acl_keys)
        new_docs = [c.rsplit("#", 1)[0] for c in new_ids]
        new_codes = [keys.setdefault(doc_keys[d], len(keys)) for d in new_docs]
        parts = [m.vectors[keep]]
        if new_ids:
            parts.append(_normalised(np.stack([held[c] for c in new_ids])).astype(self._dtype))
        vectors = np.concatenate(parts) if len(m.vectors) or new_ids else m.vectors
        self.patches += 1
        return _Matrix(
            generation=generation,
            vectors=vectors,
            chunk_ids=[c for c, k in zip(m.chunk_ids, keep, strict=True) if k] + new_ids,
            doc_ids=[d for d, k in zip(m.doc_ids, keep, strict=True) if k] + new_docs,
            acl_codes=np.concatenate([m.acl_codes[keep], np.asarray(new_codes, dtype=np.int32)]),
            acl_keys=keys,
        )

    def _load(self, generation: int) -> _Matrix | _Delegated:
        index = self._index()
        if self.max_chunks <= 0:
            return _Delegated(generation)
        for _ in range(self.LOAD_TRIES):
            before = index.count()
            if before > self.max_chunks:
                return _Delegated(generation)
            _single_threaded_blas()
            matrix = self._read(index, generation, before)
            if index.count() == before:
                break
        self.loads += 1
        return matrix

    def _read(self, index: VectorIndex, generation: int, expected: int) -> _Matrix:
        known = self._store.chunk_ids()
        doc_keys = self._acl_keys()
        buf: np.ndarray | None = None
        rows: dict[str, int] = {}  # chunk id -> row (offset paging may repeat a row)
        doc_ids: list[str] = []
        codes: list[int] = []
        keys: dict[str, int] = {}
        docs: dict[str, str] = {}
        for page in index.vectors():
            if buf is None:
                buf = np.empty((max(expected, len(page.chunk_ids)), page.embeddings.shape[1]), self._dtype)
            for cid, vec in zip(page.chunk_ids, _normalised(page.embeddings), strict=True):
                doc = cid.rsplit("#", 1)[0]  # chunk ids are <doc_id>#<index>
                key = doc_keys.get(doc)
                if key is None or cid not in known:  # not (or no longer) committed in the store
                    continue
                row = rows.get(cid)
                if row is None:
                    row = rows[cid] = len(doc_ids)
                    doc_ids.append(docs.setdefault(doc, doc))
                    codes.append(keys.setdefault(key, len(keys)))
                    if row == len(buf):  # more rows than counted (a concurrent write): grow
                        buf = np.concatenate([buf, np.empty_like(buf)])
                buf[row] = vec
        del known
        n = len(doc_ids)
        if buf is None:
            vectors = np.empty((0, 0), dtype=self._dtype)
        else:
            vectors = buf if n == len(buf) else buf[:n].copy()  # one exact-size copy, no spare rows
        del buf
        release_free_memory()  # the pages Chroma returned (float64 lists) are garbage now
        return _Matrix(
            generation=generation,
            vectors=vectors,
            chunk_ids=list(rows),
            doc_ids=doc_ids,
            acl_codes=np.asarray(codes, dtype=np.int32),
            acl_keys=keys,
        )

    def _blocked(self, m: _Matrix, acl_keys: Sequence[str]) -> tuple[np.ndarray, int]:
        """Rows whose ACL key is *not* in ``acl_keys``, and how many rows remain readable;
        cached per reader set."""
        key = tuple(sorted(set(acl_keys)))
        with self._lock:
            hit = self._masks.get(key)
            if hit is not None and self._state is m:
                self._masks.move_to_end(key)
                return hit
        codes = [m.acl_keys[k] for k in key if k in m.acl_keys]
        blocked = ~np.isin(m.acl_codes, np.asarray(codes, dtype=np.int32))
        out = (blocked, len(blocked) - int(blocked.sum()))
        with self._lock:
            if self._state is m:
                self._masks[key] = out
                if len(self._masks) > self.MASKS:
                    self._masks.popitem(last=False)
        return out

    def doc_vectors(self, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Each document's mean chunk vector, normalised (its topic as a whole); empty when
        queries go to Chroma (no matrix in memory). Row lists are built once per generation."""
        m = self._refresh()
        if not isinstance(m, _Matrix) or len(m.chunk_ids) == 0:
            return {}
        rows = self._doc_rows.get(m.generation)
        if rows is None:
            found: dict[str, list[int]] = {}
            for i, d in enumerate(m.doc_ids):
                found.setdefault(d, []).append(i)
            rows = {d: np.asarray(r, dtype=np.int64) for d, r in found.items()}
            self._doc_rows = {m.generation: rows}
        means = self._doc_means.get(m.generation)
        if means is None:
            means = {}
            self._doc_means = {m.generation: means}
        out = {}
        for d in doc_ids:
            v = means.get(d)
            if v is None:
                r = rows.get(d)
                if r is None:
                    continue
                v = m.vectors[r].astype(np.float32).mean(axis=0)
                n = float(np.linalg.norm(v))
                v = v / n if n > 0 else v
                means[d] = v  # computed once per generation: every query asks for its candidates'
            out[d] = v
        return out

    # -- search ---------------------------------------------------------------------------------
    @property
    def exact(self) -> bool:
        """Whether queries currently run in memory (False: they go to Chroma)."""
        return isinstance(self._refresh(), _Matrix)

    def query(
        self, embedding: Sequence[float], k: int, acl_keys: Sequence[str] | None = None
    ) -> list[ChunkHit]:
        """The ``k`` nearest chunks by cosine; with ``acl_keys``, only chunks whose key is listed."""
        from kb.search.index import ChunkHit

        if k <= 0 or (acl_keys is not None and not acl_keys):
            return []
        m = self._refresh()
        if isinstance(m, _Delegated):
            return self._index().query(list(embedding), k, None if acl_keys is None else list(acl_keys))
        n = len(m.chunk_ids)
        if n == 0:
            return []
        q = np.asarray(embedding, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        scores = _scores(m.vectors, q)
        available = n
        if acl_keys is not None:
            blocked, available = self._blocked(m, acl_keys)
            scores[blocked] = -np.inf  # before the top k: an unreadable row never takes a slot
        k = min(k, available)
        if k == 0:
            return []
        top = np.argpartition(scores, n - k)[n - k :] if k < n else np.arange(n)
        order = sorted(top.tolist(), key=lambda i: (-scores[i], m.chunk_ids[i]))
        return [ChunkHit(chunk_id=m.chunk_ids[i], doc_id=m.doc_ids[i], score=float(scores[i])) for i in order]
