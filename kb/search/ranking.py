"""Ranking, pure: fuse the dense and BM25 chunk rankings, collapse chunks to documents, score
documents by relevance x freshness.

No Chroma, no model, no store: chunk scores and freshness weights in, an ordered list out, so
every rule here is tested by value. docs/ranking.md explains the choices.

- **Fusion**: reciprocal rank fusion (``1 / (rrf_k + rank)`` summed over the retrievers) orders
  chunks; a document is represented by its best fused chunks (its snippets).
- **Relevance** (0..1, absolute, comparable across queries): a blend of the document's best
  cosine similarity, calibrated between ``cosine_floor`` (unrelated text) and ``cosine_full``
  (a near paraphrase), and its best BM25 score relative to the query's best, times the share of
  query terms that chunk contains. RRF is rank-only, so it cannot say whether the top hit is
  relevant at all; the answerer's threshold and the freshness prior both need that.
- **Score** = relevance x freshness weight (when freshness is on): a multiplicative prior.
- **Order**: documents whose relevance is at least ``on_topic_ratio`` x the best relevance are
  on topic and come first, by score; the rest follow, by score. Freshness re-orders documents
  that answer the question, but a fresh off-topic page never pushes out the only on-topic one.
  Ties go to the higher fused score, then to the lower doc id (deterministic).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from kb.config import RetrievalSettings


@dataclass(frozen=True)
class LexicalScore:
    score: float
    coverage: float  # share of the query's terms found in the chunk, 0..1


@dataclass(frozen=True)
class DocScore:
    doc_id: str
    chunk_ids: tuple[str, ...]  # best fused first, at most chunks_per_doc
    fused: float
    relevance: float


@dataclass(frozen=True)
class Ranked:
    doc_id: str
    chunk_ids: tuple[str, ...]
    fused: float
    relevance: float
    weight: float
    score: float
    on_topic: bool
    rank: int


def rrf(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    """Reciprocal rank fusion: each id scores ``sum(1 / (k + rank))`` over the rankings it is
    in (rank 1 = best). An id missing from a ranking gets nothing from it."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def ordered(scores: Mapping[str, float]) -> list[str]:
    """Ids by descending score, ties by id: the same input always gives the same order."""
    return sorted(scores, key=lambda i: (-scores[i], i))


def dense_bounds(cosines: Iterable[float], settings: RetrievalSettings) -> tuple[float, float]:
    """The cosines that map to dense relevance 0 and 1 for one query.

    ``candidates``: 0 at the query's background, the median cosine of its dense candidates (what
    the nearest chunks that do not answer score for this query and this corpus), 1 at cosine 1.
    ``fixed``: ``cosine_floor`` and ``cosine_full``, the same for every query."""
    if settings.dense_calibration == "candidates":
        values = sorted(cosines)
        if values:
            mid = len(values) // 2
            median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
            return min(median, 0.999), 1.0
    return settings.cosine_floor, settings.cosine_full


def dense_relevance(
    cosine: float, settings: RetrievalSettings, bounds: tuple[float, float] | None = None
) -> float:
    """Cosine similarity mapped to 0..1 between ``bounds`` (``dense_bounds``; default the fixed
    ``cosine_floor`` and ``cosine_full``)."""
    floor, full = bounds or (settings.cosine_floor, settings.cosine_full)
    return min(1.0, max(0.0, (cosine - floor) / (full - floor)))


def lexical_relevance(hit: LexicalScore, best: float) -> float:
    if best <= 0 or hit.score <= 0:
        return 0.0
    return min(1.0, hit.score / best) * min(1.0, max(0.0, hit.coverage))


def blend(dense: float | None, lexical: float | None, settings: RetrievalSettings) -> float:
    """One relevance from whichever retrievers ran (None = that retriever is off)."""
    if dense is None and lexical is None:
        return 0.0
    if lexical is None:
        return dense or 0.0
    if dense is None:
        return lexical
    w = settings.lexical_weight
    return (1 - w) * dense + w * lexical


def collapse(
    dense: Mapping[str, float],
    lexical: Mapping[str, LexicalScore],
    chunk_doc: Mapping[str, str],
    settings: RetrievalSettings,
    *,
    dense_missing: float = 0.0,
) -> list[DocScore]:
    """Fuse chunk rankings and collapse to documents, best first.

    ``dense``: chunk id -> cosine similarity; ``lexical``: chunk id -> BM25 score and coverage
    (each ignored when ``settings`` turns that retriever off).
    ``dense_missing``: the cosine assumed for a chunk BM25 found but dense did not (at most the
    lowest dense candidate's, when the dense list was cut at candidate_k).
    """
    rankings = []
    if settings.dense:
        rankings.append(ordered(dense))
    if settings.bm25:
        rankings.append(ordered({c: s.score for c, s in lexical.items()}))
    fused = rrf(rankings, settings.rrf_k)
    best_lex = max((s.score for s in lexical.values()), default=0.0)

    by_doc: dict[str, list[str]] = {}
    for chunk_id in ordered(fused):
        doc_id = chunk_doc.get(chunk_id)
        if doc_id is not None:
            by_doc.setdefault(doc_id, []).append(chunk_id)

    bounds = dense_bounds(dense.values(), settings)
    out = []
    for doc_id, chunks in by_doc.items():
        d_rel = lex_rel = None
        if settings.dense:
            d_rel = max(dense_relevance(dense.get(c, dense_missing), settings, bounds) for c in chunks)
        if settings.bm25:
            lex_rel = max(lexical_relevance(lexical[c], best_lex) if c in lexical else 0.0 for c in chunks)
        out.append(
            DocScore(
                doc_id=doc_id,
                chunk_ids=tuple(chunks[: settings.chunks_per_doc]),
                fused=fused[chunks[0]],
                relevance=round(blend(d_rel, lex_rel, settings), 6),
            )
        )
    out.sort(key=lambda s: (-s.relevance, -s.fused, s.doc_id))
    return out


def competing_weights(
    docs: Sequence[DocScore], weights: Mapping[str, float], settings: RetrievalSettings
) -> dict[str, float]:
    """The freshness weight each document is ranked with: its own weight when a *competitor* is
    among the candidates (a more current document, weight higher, with at least
    ``compete_ratio`` times its relevance: another answer to the same question), else 1.

    Staleness is relative: an old page that nothing current competes with is still the best
    answer there is (flagged by the warnings), while one that a current page also answers steps
    back behind it."""
    by_weight = sorted(docs, key=lambda d: -weights.get(d.doc_id, 1.0))
    out: dict[str, float] = {}
    best_above = 0.0  # the best relevance among documents strictly more current than the group
    i = 0
    while i < len(by_weight):
        w = weights.get(by_weight[i].doc_id, 1.0)
        group = []
        while i < len(by_weight) and weights.get(by_weight[i].doc_id, 1.0) == w:
            group.append(by_weight[i])
            i += 1
        for d in group:
            out[d.doc_id] = w if best_above >= settings.compete_ratio * d.relevance > 0 else 1.0
        best_above = max(best_above, max(d.relevance for d in group))
    return out


def lag_factors(
    docs: Sequence[DocScore],
    touched: Mapping[str, float],
    current: AbstractSet[str],
    settings: RetrievalSettings,
    not_replaced: Mapping[str, AbstractSet[str]] | None = None,
) -> dict[str, float]:
    """How far each document has been left behind on this question: a factor (``lag_floor``..1)
    for each document last touched (edited or reviewed, in days) more than ``lag_grace_days``
    before the newest *competitor*: a ``current`` candidate (not stated deprecated, archived or
    superseded) with at least ``compete_ratio`` times its relevance. Half per
    ``lag_half_life_days`` beyond the grace.

    Whether a page is stale is mostly relative: in a real handbook every page is past due, but a
    page untouched for six years beside a page on the same question edited last month has been
    left behind (the deleted pages of both real corpora were last touched 2017-2022, the live ones
    2024-2026). A page nothing newer competes with keeps its weight, and a page an owner said
    is not replaced by another (``not_replaced``: old id -> those ids) does not lag behind it."""
    hl = settings.lag_half_life_days
    if hl <= 0:
        return {}
    # The rivals of a document are a prefix of the candidates by relevance (those with at least
    # ``bar``), so the newest current one is a prefix maximum: O(n log n) per query, not O(n^2).
    # A document among its own rivals changes nothing (it never lags behind itself).
    by_relevance = sorted(docs, key=lambda c: -c.relevance)
    keys = [-c.relevance for c in by_relevance]
    newest_upto: list[float | None] = []
    newest: float | None = None
    for c in by_relevance:
        if c.doc_id in current and (at := touched.get(c.doc_id)) is not None:
            newest = at if newest is None else max(newest, at)
        newest_upto.append(newest)
    out: dict[str, float] = {}
    for d in docs:
        t = touched.get(d.doc_id)
        bar = settings.compete_ratio * d.relevance
        if t is None or bar <= 0:
            continue
        exempt = (not_replaced or {}).get(d.doc_id)
        if exempt:  # rare: an owner answered "not replaced" about this page
            allowed = current - exempt
            dates = [touched.get(c.doc_id) for c in docs if c.doc_id in allowed and c.relevance >= bar]
            rival = max((x for x in dates if x is not None), default=None)
        else:
            k = bisect_right(keys, -bar)
            rival = newest_upto[k - 1] if k else None
        lag = (rival - t - settings.lag_grace_days) if rival is not None else 0.0
        if lag > 0:
            out[d.doc_id] = max(settings.lag_floor, 0.5 ** (lag / hl))
    return out


def below_successors(
    scores: dict[str, float], successors: Mapping[str, Sequence[str]], on_topic: set[str]
) -> None:
    """A page never outranks its own successor when both are candidates: its score is held just
    under the successor's (in place). Chains (a -> b -> c) settle in a few passes."""
    for _ in range(3):
        for old, news in successors.items():
            for new in news:
                if old in scores and new in scores and new != old and scores[old] >= scores[new]:
                    scores[old] = round(scores[new] * 0.999, 6)
                    if old in on_topic:
                        on_topic.add(new)


def rank(
    docs: Sequence[DocScore],
    weights: Mapping[str, float],
    settings: RetrievalSettings,
    top_k: int,
    successors: Mapping[str, Sequence[str]] | None = None,
    touched: Mapping[str, float] | None = None,
    current: AbstractSet[str] = frozenset(),
    not_replaced: Mapping[str, AbstractSet[str]] | None = None,
) -> list[Ranked]:
    """Order documents by relevance x freshness weight (weight 1 when freshness is off or the
    document has no weight), on-topic documents first; keep ``top_k``.

    ``successors``: doc id -> ids of the documents that replace it. The successor of an on-topic
    document is on topic too (it answers what its predecessor answered, even when it shares fewer
    words with the question), so a superseded page never outranks its own replacement.

    ``touched``: doc id -> when it was last edited or reviewed (days); ``current``: the documents
    not stated deprecated, archived or superseded; ``not_replaced``: the owners' "not replaced"
    answers. A document left far behind a current competitor is weighted down by ``lag_factors``."""
    kept = [d for d in docs if d.relevance >= settings.min_relevance]
    best = max((d.relevance for d in kept), default=0.0)
    on_topic = {d.doc_id for d in kept if best > 0 and d.relevance >= settings.on_topic_ratio * best}
    for doc_id in sorted(on_topic):
        on_topic.update(s for s in (successors or {}).get(doc_id, ()) if s != doc_id)
    effective = competing_weights(kept, weights, settings) if settings.freshness else {}
    if settings.freshness:
        for doc_id, factor in lag_factors(kept, touched or {}, current, settings, not_replaced).items():
            effective[doc_id] = effective.get(doc_id, 1.0) * factor
    scores = {d.doc_id: round(d.relevance * effective.get(d.doc_id, 1.0), 6) for d in kept}
    if settings.freshness:  # a baseline without freshness knows nothing of successors either
        below_successors(scores, successors or {}, on_topic)
    scored = [
        (d, weights.get(d.doc_id, 1.0) if settings.freshness else 1.0, scores[d.doc_id], d.doc_id in on_topic)
        for d in kept
    ]
    if settings.order_by == "fused":  # plain hybrid search: the fusion's order, nothing else
        scored.sort(key=lambda t: (-t[0].fused, t[0].doc_id))
    else:
        scored.sort(key=lambda t: (not t[3], -t[2], -t[0].fused, t[0].doc_id))
    return [
        Ranked(
            doc_id=d.doc_id,
            chunk_ids=d.chunk_ids,
            fused=d.fused,
            relevance=d.relevance,
            weight=w,
            score=s,
            on_topic=on,
            rank=i,
        )
        for i, (d, w, s, on) in enumerate(scored[:top_k], start=1)
    ]
