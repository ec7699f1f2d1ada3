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
from kb.lifecycle.freshness import LIFECYCLE, Freshness, assess, successor_hint
from kb.records import Document, Principal
from kb.search.lexical import LexicalIndex
from kb.search.query_batch import QueryBatcher, QueryCache
from kb.search.ranking import Ranked, collapse, rank
from kb.store.reviews import ReviewStore

if TYPE_CHECKING:
    from kb.search.embedding import Embedder
    from kb.search.index import VectorIndex
    from kb.store.documents import DocumentStore

SNIPPET_CHARS = 600
READABLE_SETS_KEPT = 64
CURRENT = frozenset({"fresh", "due_soon", "unknown"})
SUPERSEDED_BY = "superseded by "  # the reason kb.lifecycle.freshness.assess gives for a known successor


class DocRef(BaseModel):
    doc_id: str
    title: str
    url: str | None = None


class SearchHit(BaseModel):
    doc: Document = Field(description="the record, text excluded")
    freshness: Freshness
    snippets: list[str] = Field(default_factory=list, description="best matching chunks")
    relevance: float = Field(description="0..1, how well the document matches the query")
    score: float = Field(description="relevance x freshness weight (relevance when off)")
    rank: int
    successor: DocRef | None = Field(
        None,
        description="the current document, when this one is "
        "superseded and the principal may read its successor",
    )


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
    superseded_by: dict[str, list[str]]  # doc id -> ids of documents listing it in supersedes
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
        self._map: _DocMap | None = None
        self._lock = threading.Lock()
        self._lexical = LexicalIndex(documents, self._title)
        from kb.search.dense import DenseIndex  # (numpy only; Chroma is opened on first query)

        # Exact in-memory dense search with a per-reader ACL mask up to exact_max_chunks.
        self._vectors = DenseIndex(
            index,
            documents,
            self.settings.exact_max_chunks,
            acl_keys=lambda: self._docmap().acl_keys,
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
                docs: dict[str, Document] = {}
                keys: dict[str, str] = {}
                rev: dict[str, list[str]] = {}
                by_key: dict[str, tuple[list[str], list[str]]] = {}
                for doc in store.list():  # text = the marker excerpt, not the whole text
                    docs[doc.doc_id] = doc
                    keys[doc.doc_id] = key = acl_key(doc.acl)
                    by_key.setdefault(key, (doc.acl, []))[1].append(doc.doc_id)
                    for old in doc.supersedes:
                        rev.setdefault(old, []).append(doc.doc_id)
                self._map = _DocMap(generation, docs, keys, by_key, rev)
            return self._map

    # -- search -----------------------------------------------------------------------------
    def embed_query(self, query: str) -> list[float]:
        """The query's vector as the dense search uses it (cached; batched with concurrent ones)."""
        return self._queries.embed_query(query)

    def search(
        self, query: str, principal: Principal, top_k: int | None = None, now: datetime | None = None
    ) -> SearchResult:
        started = time.perf_counter()
        if not query or not query.strip():
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
        fresh = {d.doc_id: self._assess(d.doc_id, dm, readable, reviews, now) for d in docs}
        successors = {
            d: self._successor_ids(d, dm, readable) for d, f in fresh.items() if f.status == "superseded"
        }
        ordered = rank(docs, {d: f.weight for d, f in fresh.items()}, self.settings, len(docs), successors)
        ranked = ordered[:top_k]
        hits = [self._hit(r, dm, readable, fresh[r.doc_id]) for r in ranked]
        on_topic = [h for h, r in zip(hits, ranked, strict=True) if r.on_topic]
        if self.settings.freshness:
            # A stale document that matches better than something shown is worth a warning even
            # when freshness pushed it out of the top_k: it is what a reader may find elsewhere.
            shown = min((r.relevance for r in ranked if r.on_topic), default=1.0)
            cut = [
                self._hit(r, dm, readable, fresh[r.doc_id])
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

    def _successor_ids(self, doc_id: str, dm: _DocMap, readable: AbstractSet[str]) -> list[str]:
        """Readable documents that replace ``doc_id``: its own ``superseded_by``, readable
        documents listing it in ``supersedes``, or a linked page named after a "superseded by"
        phrase in its text."""
        doc = dm.docs[doc_id]
        out = [doc.superseded_by] if doc.superseded_by and doc.superseded_by in readable else []
        out += sorted(d for d in dm.superseded_by.get(doc_id, []) if d in readable)
        hint = successor_hint(doc, self.app_settings)
        if hint:
            out += [d for d in doc.links if d in readable and dm.docs[d].title.lower() in hint]
        return [d for d in dict.fromkeys(out) if d != doc_id]

    def _assess(
        self,
        doc_id: str,
        dm: _DocMap,
        readable: AbstractSet[str],
        reviews: dict[str, datetime],
        now: datetime,
    ) -> Freshness:
        # Only a *readable* document may demote another by claiming to supersede it.
        named = sorted(d for d in dm.superseded_by.get(doc_id, []) if d in readable)
        return assess(
            dm.docs[doc_id],
            now,
            self.app_settings,
            reviewed_at=reviews.get(doc_id),
            superseded_by=named[0] if named else None,
        )

    def _hit(self, r: Ranked, dm: _DocMap, readable: AbstractSet[str], fr: Freshness) -> SearchHit:
        doc = dm.docs[r.doc_id]
        texts = {c.chunk_id: c.text for c in self.documents.chunks_for(r.doc_id)}
        successor = None
        if fr.status == "superseded":
            ids = self._successor_ids(r.doc_id, dm, readable)
            if ids:
                s = dm.docs[ids[0]]
                successor = DocRef(doc_id=s.doc_id, title=s.title, url=s.url)
        return SearchHit(
            doc=self._visible(doc, readable),
            freshness=self._explained(fr, dm, readable),
            snippets=[_snippet(texts[c]) for c in r.chunk_ids if c in texts],
            relevance=r.relevance,
            score=r.score,
            rank=r.rank,
            successor=successor,
        )

    def _visible(self, doc: Document, readable: AbstractSet[str]) -> Document:
        """The record as this principal may see it: no text, and no reference (id, or a
        relation property naming it) to a document they cannot read."""
        st = self.app_settings
        relation_keys = {
            k.lower()
            for k in (
                *st.notion.properties.superseded_by,
                *st.notion.properties.supersedes,
                *st.drive.superseded_by_keys,
                *st.drive.supersedes_keys,
            )
        }
        return doc.model_copy(
            update={
                "text": "",
                "superseded_by": doc.superseded_by if doc.superseded_by in readable else None,
                "supersedes": [d for d in doc.supersedes if d in readable],
                "links": [d for d in doc.links if d in readable],
                "properties": {k: v for k, v in doc.properties.items() if k.lower() not in relation_keys},
            }
        )

    @staticmethod
    def _explained(fr: Freshness, dm: _DocMap, readable: AbstractSet[str]) -> Freshness:
        """Reasons name a successor by title when readable, and never by id otherwise."""
        reasons = []
        for r in fr.reasons:
            if r.startswith(SUPERSEDED_BY):
                succ = r.removeprefix(SUPERSEDED_BY)
                r = (
                    f"superseded by '{dm.docs[succ].title}'"
                    if succ in readable
                    else "superseded by a newer document"
                )
            reasons.append(r)
        return fr.model_copy(update={"reasons": reasons})

    @staticmethod
    def _warnings(hits: list[SearchHit]) -> list[str]:
        """One line per stale on-topic result: how stale, and which on-topic result (or its
        successor) is current. Off-topic results are noise, not worth a warning."""
        out = []
        for hit in hits:
            why = staleness(hit.freshness)
            if why is None:
                continue
            title = hit.doc.title
            current = next((h for h in hits if h.rank < hit.rank and h.freshness.status in CURRENT), None)
            if hit.successor is not None:
                out.append(
                    f"'{title}' {'also matches but ' if current else ''}{why}; the current "
                    f"doc is '{hit.successor.title}'"
                )
            elif current is not None:
                out.append(f"'{title}' also matches but {why}; the current doc is '{current.doc.title}'")
            else:
                lead = "is the best match" if hit is hits[0] else "also matches"
                owner = f" ({hit.doc.owner})" if hit.doc.owner else ""
                out.append(f"'{title}' {lead} but {why}: check it with its owner{owner} before relying on it")
        return out


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
