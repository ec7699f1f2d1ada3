"""Hybrid retrieval: dense (Chroma) + BM25, permission-filtered, freshness-ranked search.

``Retriever.search`` is the one search engine behind the API, the CLI, the answerer and the
evals. Order of work, and why:

1. **Permissions first.** The principal's readable documents (and their Chroma ``acl_key``\\ s)
   are computed from the in-memory document map before anything is retrieved. When the principal
   cannot read every ACL set, the dense query is filtered in Chroma by ``acl_key $in [...]`` (so
   unreadable chunks never take one of the ``candidate_k`` slots and there is no re-query), and
   BM25 runs on an index of the readable chunks only. Every hit is checked against the record's
   ACL once more. Nothing about an unreadable document reaches results, snippets, warnings,
   successor references or counts, and no score depends on its text.
2. **Fuse and collapse** (``kb.search.ranking``): RRF over chunk rankings, best chunks per document,
   relevance 0..1.
3. **Freshness** (``kb.lifecycle.freshness``) per candidate as of ``now``, including reviews recorded
   through FreshKB and successors named by readable documents; score = relevance x weight.
4. **Warnings** about stale documents in the results, pointing to the current one.

The document map (records without text, plus the top of each text for freshness markers) and
the BM25 index are rebuilt only when the store's generation changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from kb.clock import Clock, utc
from kb.config import RetrievalSettings, Settings
from kb.errors import BadRequest, ConfigError
from kb.lifecycle.breadcrumbs import Breadcrumbs
from kb.lifecycle.evidence import SuccessorEvidence
from kb.lifecycle.freshness import LIFECYCLE, Freshness
from kb.lifecycle.inference import infer
from kb.lifecycle.successors import Judged, Relations, Successor, judge, visible_record
from kb.records import Document, Principal, is_blank
from kb.search.duplicates import Copy, fold
from kb.search.lexical import LexicalIndex, tokenize
from kb.search.query_batch import QueryBatcher, QueryCache
from kb.search.ranking import DocScore, Ranked, collapse, rank
from kb.store.duplicates import NearDuplicates
from kb.store.reviews import ReviewStore

if TYPE_CHECKING:
    from kb.search.embedding import Embedder
    from kb.search.index import VectorIndex
    from kb.store.documents import DocumentStore

SNIPPET_CHARS = 600
READABLE_SETS_KEPT = 64
CURRENT = frozenset({"fresh", "due_soon", "unknown"})
INFER_CANDIDATES = 30  # candidates compared pairwise for inferred successors (by relevance)


class SearchHit(BaseModel):
    doc: Document = Field(description="the record, text excluded")
    freshness: Freshness
    snippets: list[str] = Field(default_factory=list, description="best matching chunks")
    relevance: float = Field(description="0..1, how well the document matches the query")
    score: float = Field(description="relevance x freshness weight (relevance when off)")
    rank: int
    successor: Successor | None = Field(
        None,
        description="the document that replaces this one (stated, owner-confirmed or inferred: "
        "``inferred`` says which), when the principal may read it",
    )
    also_in: list[Copy] = Field(default_factory=list, description="readable copies in other sources")


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    took_ms: float = 0.0


@dataclass(frozen=True)
class _DocMap:
    generation: int
    docs: dict[str, Document]  # text = only the part freshness markers are read from
    acl_keys: dict[str, str]
    by_key: dict[str, tuple[list[str], list[str]]]  # acl_key -> (the ACL, its documents)
    relations: Relations  # who lists whom in supersedes
    breadcrumbs: Breadcrumbs  # which parent titles name which documents
    # readable ACL keys -> readable doc ids, for the last few reader sets (built once per set)
    readable: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


class Retriever:
    def __init__(
        self,
        settings: Settings,
        documents: DocumentStore,
        reviews: ReviewStore,
        *,
        index: Callable[[], VectorIndex],
        embedder: Callable[[], Embedder],
        clock: Clock,
        retrieval: RetrievalSettings | None = None,
    ) -> None:
        """``index`` and ``embedder`` are factories: Chroma and the model open on first use."""
        self.app_settings = settings
        self.settings = retrieval or settings.retrieval
        if not (self.settings.dense or self.settings.bm25):
            raise ConfigError("at least one of dense and bm25 must be on", subject="retrieval")
        self.documents = documents
        self.clock = clock
        self._reviews = reviews
        self._copies = NearDuplicates(documents.db)
        self._map: _DocMap | None = None
        self._evidence: tuple[tuple[int, int, int], SuccessorEvidence] | None = None
        self._lock = threading.Lock()
        self._lexical = LexicalIndex(documents, self._title)
        from kb.search.dense import DenseIndex  # (numpy only; Chroma is opened on first query)

        # Exact in-memory dense search with a per-reader ACL mask up to exact_max_chunks.
        self._vectors = DenseIndex(
            index,
            documents,
            self.settings.exact_max_chunks,
            acl_keys=lambda: self._docmap().acl_keys,
            float16=self.settings.dense_float16,
        )
        # Concurrent searches share one model call for their query embeddings; repeated ones none.
        model = settings.model
        self._queries = QueryBatcher(embedder, cache=QueryCache(model.query_cache_size, model.name))

    # -- caches -----------------------------------------------------------------------------
    def _title(self, doc_id: str) -> str | None:
        doc = self._map.docs.get(doc_id) if self._map else None
        return doc.title if doc else None

    def _docmap(self) -> _DocMap:
        from kb.search.index import acl_key  # Chroma is imported only when the index is used

        store = self.documents
        generation = store.generation()
        with self._lock:
            if self._map is None or self._map.generation != generation:
                old = self._map
                docs = self._changed_docs(old, generation)
                if docs is None:  # text = the marker excerpt, not the whole text
                    docs, old = {doc.doc_id: doc for doc in store.list()}, None
                keys: dict[str, str] = {}
                by_key: dict[str, tuple[list[str], list[str]]] = {}
                for doc in docs.values():
                    # An unchanged record is the same object as in the old map: keep its key.
                    if old is not None and old.docs.get(doc.doc_id) is doc:
                        key = old.acl_keys[doc.doc_id]
                    else:
                        key = acl_key(doc.acl)
                    keys[doc.doc_id] = key
                    by_key.setdefault(key, (doc.acl, []))[1].append(doc.doc_id)
                self._map = _DocMap(
                    generation, docs, keys, by_key, Relations.of(docs.values()), Breadcrumbs.of(docs.values())
                )
            return self._map

    def _changed_docs(self, old: _DocMap | None, generation: int) -> dict[str, Document] | None:
        """``old``'s documents with those changed since re-read (``DocumentStore.changed``), in
        doc id order as ``list()`` returns them; None when they must all be read."""
        changed = None if old is None else self.documents.changed(old.generation, generation)
        if old is None or changed is None or len(changed) > 0.25 * max(len(old.docs), 1):
            return None
        docs = dict(old.docs)
        for doc_id in changed:
            doc = self.documents.get(doc_id, with_text=False)
            if doc is None:
                docs.pop(doc_id, None)
            else:
                docs[doc_id] = doc
        return dict(sorted(docs.items()))

    # -- search -----------------------------------------------------------------------------
    def embed_query(self, query: str) -> list[float]:
        """The query's vector as the dense search uses it (cached; batched with concurrent ones)."""
        return self._queries.embed_query(query)

    def search(
        self, query: str, principal: Principal, top_k: int | None = None, now: datetime | None = None
    ) -> SearchResult:
        started = time.perf_counter()
        if is_blank(query):
            raise BadRequest("the query is empty", subject="query")
        top_k = top_k or self.settings.top_k
        if top_k < 1:
            raise BadRequest(f"top_k must be at least 1, got {top_k}", subject="top_k")
        now = utc(now or self.clock.now())
        dm = self._docmap()
        # Readability is a function of the ACL set: decide it once per distinct set.
        keys = frozenset(k for k, (acl, _) in dm.by_key.items() if principal.can_read(acl))
        readable = self._readable(dm, keys)
        restricted = len(keys) != len(dm.by_key)

        dense, dense_missing = self._dense(query, sorted(keys) if restricted else None, readable)
        lexical = {}
        if self.settings.bm25:
            lexical = self._lexical.scores(query, self.settings.candidate_k, readable if restricted else None)
            lexical = {c: s for c, s in lexical.items() if c.rsplit("#", 1)[0] in readable}
        chunk_doc = {c: c.rsplit("#", 1)[0] for c in (*dense, *lexical)}
        docs = [
            d
            for d in collapse(dense, lexical, chunk_doc, self.settings, dense_missing=dense_missing)
            if d.doc_id in readable
        ]

        reviews = self._reviews.latest_all()
        evidence = self._successor_evidence(dm)
        inferred = self._inferred(docs[:INFER_CANDIDATES], dm) if self.settings.freshness else {}
        judged = {
            d.doc_id: self._judge(
                d.doc_id,
                dm,
                readable,
                reviews,
                now,
                evidence,
                evidence.with_query_time(d.doc_id, inferred.get(d.doc_id, []))
                if self.settings.freshness
                else [],
            )
            for d in docs
        }
        fresh = {d: j.freshness for d, j in judged.items()}
        successors = {d: [j.successor.doc_id] for d, j in judged.items() if j.successor is not None}
        ordered = rank(
            docs,
            {d: f.weight for d, f in fresh.items()},
            self.settings,
            len(docs),
            successors,
            touched=_touched(dm, reviews, fresh),
            current=_current(judged),
            not_replaced={
                d.doc_id: {x.new for x in evidence.decisions_for(d.doc_id) if not x.replaced} for d in docs
            },
        )
        # Copies of one page in two sources: one result, "also in" the other (kb.search.duplicates);
        # the most current copy stands for them, so baselines without freshness stay plain.
        also: dict[str, list[Copy]] = {}
        if self.settings.freshness:
            pairs = self._copies.partners(d.doc_id for d in docs)
            ordered, also = fold(ordered, pairs, readable, dm.docs, {d: f.status for d, f in fresh.items()})
        ranked = ordered[:top_k]
        hits = [self._hit(r, dm, readable, judged[r.doc_id], also.get(r.doc_id, [])) for r in ranked]
        on_topic = [h for h, r in zip(hits, ranked, strict=True) if r.on_topic]
        if self.settings.freshness:
            # A stale document that matches better than something shown is worth a warning even
            # when freshness pushed it out of the top_k: it is what a reader may find elsewhere.
            shown = min((r.relevance for r in ranked if r.on_topic), default=1.0)
            cut = [
                self._hit(r, dm, readable, judged[r.doc_id])
                for r in ordered[top_k:]
                if r.on_topic and r.relevance >= shown and staleness(fresh[r.doc_id]) is not None
            ]
            warnings = self._warnings(on_topic + cut)
        else:
            warnings = []
        return SearchResult(
            query=query,
            hits=hits,
            warnings=warnings,
            took_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    def _readable(self, dm: _DocMap, keys: frozenset[str]) -> frozenset[str]:
        """The documents readable through ``keys``, cached per reader set (a query must not pay
        for rebuilding a set of every readable document id)."""
        found = dm.readable.get(keys)
        if found is None:
            found = frozenset(d for k in keys for d in dm.by_key[k][1])
            with self._lock:
                while len(dm.readable) >= READABLE_SETS_KEPT:
                    dm.readable.pop(next(iter(dm.readable)))
                dm.readable[keys] = found
        return found

    def _dense(
        self, query: str, acl_keys: list[str] | None, readable: AbstractSet[str]
    ) -> tuple[dict[str, float], float]:
        """chunk id -> cosine for the readable nearest chunks, and the cosine to assume for a
        chunk dense did not return (the lowest returned one when the list was cut at k)."""
        if not self.settings.dense:
            return {}, 0.0
        k = self.settings.candidate_k
        vector = self.embed_query(query)
        hits = self._vectors.query(vector, k, acl_keys)
        out = {h.chunk_id: h.score for h in hits if h.doc_id in readable}
        missing = min(out.values()) if len(hits) >= k and out else 0.0
        return out, missing

    def _judge(
        self,
        doc_id: str,
        dm: _DocMap,
        readable: AbstractSet[str],
        reviews: dict[str, datetime],
        now: datetime,
        evidence: SuccessorEvidence,
        inferred: list[Successor],
    ) -> Judged:
        """Freshness and successor for this reader: only a *readable* document may demote
        another by replacing it (kb.lifecycle.successors.judge decides)."""
        return judge(
            dm.docs[doc_id],
            now,
            self.app_settings,
            relations=dm.relations,
            readable=readable.__contains__,
            reviewed_at=reviews.get(doc_id),
            decisions=evidence.decisions_for(doc_id),
            inferred=inferred,
        )

    def _inferred(self, candidates: list[DocScore], dm: _DocMap) -> dict[str, list[Successor]]:
        """Guessed successors among this query's best candidates (all readable): a newer page
        with the same title and content as an older one (``kb.lifecycle.inference``)."""
        ids = [d.doc_id for d in candidates]
        vectors = self._vectors.doc_vectors(ids) if self.settings.dense else {}
        return infer([dm.docs[i] for i in ids], vectors, tokenize)

    def _successor_evidence(self, dm: _DocMap) -> SuccessorEvidence:
        """Owners' decisions and the successors inferred at ingest, reloaded only when either
        table or the documents change (two indexed MAX(id) reads per search)."""
        db = self._reviews.db
        version = (dm.generation, *SuccessorEvidence.version(db))
        cached = self._evidence
        if cached is not None and cached[0] == version:
            return cached[1]
        evidence = SuccessorEvidence.load(db, dm.docs)
        with self._lock:
            self._evidence = (version, evidence)
        return evidence

    def _hit(
        self,
        r: Ranked,
        dm: _DocMap,
        readable: AbstractSet[str],
        judged: Judged,
        also: list[Copy] | None = None,
    ) -> SearchHit:
        doc = dm.docs[r.doc_id]
        texts = {c.chunk_id: c.text for c in self.documents.chunks_for(r.doc_id)}
        return SearchHit(
            doc=visible_record(doc, readable.__contains__, self.app_settings, breadcrumbs=dm.breadcrumbs),
            freshness=judged.freshness,
            snippets=[_snippet(texts[c]) for c in r.chunk_ids if c in texts],
            relevance=r.relevance,
            score=r.score,
            rank=r.rank,
            successor=judged.successor,
            also_in=also or [],
        )

    @staticmethod
    def _warnings(hits: list[SearchHit]) -> list[str]:
        """One line per stale on-topic result: how stale, and which on-topic result (or its
        successor) is current. Off-topic results are noise, not worth a warning."""
        out = []
        for hit in hits:
            why = staleness(hit.freshness)
            succ = hit.successor
            if why is None and succ is None:
                continue
            title = hit.doc.title
            current = next((h for h in hits if h.rank < hit.rank and h.freshness.status in CURRENT), None)
            if succ is not None and succ.inferred:
                but = f" but {why}" if why else ""
                out.append(
                    f"'{title}' also matches{but}; '{succ.title}' probably replaces it ({succ.reason})"
                )
            elif succ is not None:
                lead = "also matches but " if current else ""
                out.append(f"'{title}' {lead}{why}; the current doc is '{succ.title}'")
            elif current is not None:
                out.append(f"'{title}' also matches but {why}; the current doc is '{current.doc.title}'")
            else:
                lead = "is the best match" if hit is hits[0] else "also matches"
                owner = f" ({hit.doc.owner})" if hit.doc.owner else ""
                out.append(f"'{title}' {lead} but {why}: check it with its owner{owner} before relying on it")
        return out


def _touched(dm: _DocMap, reviews: dict[str, datetime], fresh: dict[str, Freshness]) -> dict[str, float]:
    """doc id -> the day (since the epoch) it was last edited or reviewed, in the source or in
    FreshKB: the newest sign that someone looked after it (``kb.search.ranking.lag_factors``)."""
    out = {}
    for doc_id in fresh:
        doc = dm.docs[doc_id]
        seen = (doc.last_edited_at, doc.last_reviewed_at, reviews.get(doc_id))
        dates = [utc(d) for d in seen if d is not None]
        if dates:
            out[doc_id] = max(dates).timestamp() / 86400
    return out


def _current(judged: dict[str, Judged]) -> set[str]:
    """The candidates nobody has said are deprecated, archived or replaced."""
    return {d for d, j in judged.items() if j.successor is None and j.freshness.status not in LIFECYCLE}


def staleness(fr: Freshness) -> str | None:
    """'is superseded and was last reviewed 2021-03-01 (overdue by 1725 days)', or None."""
    parts = []
    if fr.status in LIFECYCLE:
        parts.append(f"is {fr.status}")
    if fr.overdue_days is not None and fr.basis_at is not None:
        verb = "reviewed" if fr.reviewed_basis == "review" else "edited"
        parts.append(f"was last {verb} {fr.basis_at.date().isoformat()} (overdue by {fr.overdue_days} days)")
    elif fr.status == "overdue":
        parts.append("says it may be out of date")
    return " and ".join(parts) or None
