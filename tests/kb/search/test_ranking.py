"""Ranking by value: RRF, collapsing chunks to documents, relevance, and the freshness prior."""

from __future__ import annotations

import random

import pytest

from kb.config import RetrievalSettings
from kb.search.ranking import (
    DocScore,
    LexicalScore,
    blend,
    collapse,
    dense_bounds,
    dense_relevance,
    lag_factors,
    ordered,
    rank,
    rrf,
)

# The arithmetic below is the fixed mapping's (cosine_floor 0.2, cosine_full 0.8); the
# per-query calibration has its own tests at the end.
DENSE_ONLY = RetrievalSettings(bm25=False, dense_calibration="fixed", on_topic_ratio=0.7)
HYBRID = RetrievalSettings(dense_calibration="fixed", on_topic_ratio=0.7)
CANDIDATES = RetrievalSettings(bm25=False, dense_calibration="candidates")


def test_rrf_by_value() -> None:
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert fused == pytest.approx({"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 63 + 1 / 62, "d": 1 / 63})
    assert ordered(fused) == ["b", "c", "a", "d"]


def test_rrf_ties_are_broken_by_id() -> None:
    fused = rrf([["y", "x"], ["x", "y"]], k=1)
    assert fused["x"] == fused["y"] == pytest.approx(1 / 2 + 1 / 3)
    assert ordered(fused) == ["x", "y"]
    assert ordered({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("cosine", "relevance"), [(-0.3, 0.0), (0.2, 0.0), (0.5, 0.5), (0.8, 1.0), (0.95, 1.0)]
)
def test_dense_relevance_is_calibrated_cosine(cosine: float, relevance: float) -> None:
    assert dense_relevance(cosine, HYBRID) == pytest.approx(relevance)


def test_collapse_keeps_best_chunks_per_document() -> None:
    dense = {"d1#0": 0.8, "d1#1": 0.5, "d2#0": 0.6, "d1#2": 0.4}
    chunk_doc = {c: c.split("#")[0] for c in dense}
    docs = collapse(dense, {}, chunk_doc, DENSE_ONLY)
    assert [(d.doc_id, d.chunk_ids) for d in docs] == [("d1", ("d1#0", "d1#1")), ("d2", ("d2#0",))]
    assert [d.relevance for d in docs] == pytest.approx([1.0, 0.666667])
    assert docs[0].fused == pytest.approx(1 / 61)


def test_collapse_blends_dense_and_lexical() -> None:
    dense = {"d1#0": 0.8, "d1#1": 0.5, "d2#0": 0.6}
    lexical = {"d2#0": LexicalScore(4.0, 1.0), "d1#1": LexicalScore(2.0, 0.5)}
    chunk_doc = {c: c.split("#")[0] for c in dense}
    docs = {d.doc_id: d for d in collapse(dense, lexical, chunk_doc, HYBRID)}
    assert docs["d1"].relevance == pytest.approx(0.7 * 1.0 + 0.3 * 0.25)
    assert docs["d2"].relevance == pytest.approx(0.7 * (0.4 / 0.6) + 0.3 * 1.0, abs=1e-6)
    # d1#1 is 3rd in dense and 2nd in BM25, d1#0 only 1st in dense: fusion prefers d1#1.
    assert docs["d1"].chunk_ids == ("d1#1", "d1#0")


def test_lexical_only_chunk_gets_the_dense_bound() -> None:
    docs = collapse(
        {"d1#0": 0.8},
        {"d3#0": LexicalScore(3.0, 1.0)},
        {"d1#0": "d1", "d3#0": "d3"},
        HYBRID,
        dense_missing=0.5,
    )
    assert {d.doc_id: d.relevance for d in docs}["d3"] == pytest.approx(0.7 * 0.5 + 0.3)


def test_blend_with_one_retriever_off() -> None:
    assert blend(0.4, None, HYBRID) == 0.4
    assert blend(None, 0.9, HYBRID) == 0.9
    assert blend(None, None, HYBRID) == 0.0


def doc(doc_id: str, relevance: float, fused: float = 0.01) -> DocScore:
    return DocScore(doc_id=doc_id, chunk_ids=(f"{doc_id}#0",), fused=fused, relevance=relevance)


def test_current_doc_beats_outdated_doc_of_similar_relevance() -> None:
    docs = [doc("old-spec", 0.95), doc("migration", 0.8)]
    ranked = rank(docs, {"old-spec": 0.05, "migration": 1.0}, HYBRID, top_k=5)
    assert [r.doc_id for r in ranked] == ["migration", "old-spec"]
    assert [r.score for r in ranked] == pytest.approx([0.8, 0.0475])
    assert [r.rank for r in ranked] == [1, 2]


def test_without_freshness_relevance_alone_orders() -> None:
    docs = [doc("old-spec", 0.95), doc("migration", 0.8)]
    naive = RetrievalSettings(bm25=False, freshness=False)
    ranked = rank(docs, {"old-spec": 0.05, "migration": 1.0}, naive, top_k=5)
    assert [(r.doc_id, r.score) for r in ranked] == [("old-spec", 0.95), ("migration", 0.8)]


def test_sole_outdated_source_is_still_returned_first() -> None:
    # The only on-topic page is long overdue (floor weight); fresh pages match only loosely.
    docs = [doc("fax-gateway", 0.9), *(doc(f"fresh-{i}", 0.3) for i in range(6))]
    weights = {"fax-gateway": 0.05} | {f"fresh-{i}": 1.0 for i in range(6)}
    ranked = rank(docs, weights, HYBRID, top_k=3)
    assert [r.doc_id for r in ranked] == ["fax-gateway", "fresh-0", "fresh-1"]
    assert ranked[0].on_topic and not ranked[1].on_topic
    # No current page competes (all under compete_ratio x its relevance): it keeps its score.
    assert ranked[0].score == pytest.approx(0.9)


def test_freshness_reorders_within_the_on_topic_band() -> None:
    docs = [doc("stale", 1.0), doc("current", 0.75), doc("loose", 0.65)]
    ranked = rank(docs, {"stale": 0.5, "current": 1.0, "loose": 1.0}, HYBRID, top_k=5)
    assert [r.doc_id for r in ranked] == ["current", "stale", "loose"]
    assert [r.on_topic for r in ranked] == [True, True, False]


def test_the_successor_of_an_on_topic_document_is_on_topic() -> None:
    # "new" matches the question far less well than the superseded page it replaces: without the
    # relation it would be off topic and the superseded page would come first.
    docs = [doc("old", 0.9), doc("new", 0.4), doc("other", 0.5)]
    weights = {"old": 0.05, "new": 1.0, "other": 1.0}
    plain = rank(docs, weights, HYBRID, top_k=5)
    assert [r.doc_id for r in plain] == ["old", "other", "new"]
    linked = rank(docs, weights, HYBRID, top_k=5, successors={"old": ["new"]})
    assert [r.doc_id for r in linked] == ["new", "old", "other"]
    assert [r.on_topic for r in linked] == [True, True, False]
    # Only an on-topic predecessor lends its status (but none outranks its successor), and a
    # self-reference changes nothing.
    off = rank(docs, weights, HYBRID, top_k=5, successors={"other": ["new"], "new": ["new"]})
    assert [r.doc_id for r in off] == ["old", "new", "other"]
    assert [r.on_topic for r in off] == [True, False, False]


def test_ties_are_deterministic() -> None:
    docs = [doc("b", 0.5), doc("a", 0.5), doc("c", 0.5, fused=0.02)]
    ranked = rank(docs, {}, HYBRID, top_k=5)
    assert [r.doc_id for r in ranked] == ["c", "a", "b"]


def test_min_relevance_and_top_k() -> None:
    settings = RetrievalSettings(min_relevance=0.3)
    ranked = rank([doc("a", 0.9), doc("b", 0.2), doc("c", 0.5), doc("d", 0.4)], {}, settings, top_k=2)
    assert [r.doc_id for r in ranked] == ["a", "c"]


def test_nothing_to_rank() -> None:
    assert rank([], {}, HYBRID, top_k=5) == []
    assert collapse({}, {}, {}, HYBRID) == []


def test_a_stale_page_without_a_competitor_keeps_its_rank() -> None:
    # The only page on the question is old; fresh pages of half its relevance do not bury it.
    docs = [doc("old", 0.9), doc("fresh-a", 0.4), doc("fresh-b", 0.3)]
    weights = {"old": 0.55, "fresh-a": 1.0, "fresh-b": 1.0}
    assert [r.doc_id for r in rank(docs, weights, HYBRID, top_k=3)] == ["old", "fresh-a", "fresh-b"]


def test_a_stale_page_steps_back_behind_a_current_competitor() -> None:
    docs = [doc("old", 0.9), doc("current", 0.8)]
    weights = {"old": 0.55, "current": 1.0}
    ranked = rank(docs, weights, HYBRID, top_k=2)
    assert [r.doc_id for r in ranked] == ["current", "old"]
    assert ranked[1].score == pytest.approx(0.9 * 0.55)


def test_a_page_never_outranks_its_successor() -> None:
    docs = [doc("old", 0.9), doc("new", 0.6)]
    ranked = rank(docs, {"old": 1.0, "new": 1.0}, HYBRID, top_k=2, successors={"old": ["new"]})
    assert [r.doc_id for r in ranked] == ["new", "old"]
    assert ranked[1].score < ranked[0].score


def test_candidates_calibration_counts_from_the_querys_median_candidate() -> None:
    assert dense_bounds([0.3, 0.5, 0.4, 0.9], CANDIDATES) == pytest.approx((0.45, 1.0))
    assert dense_bounds([0.3, 0.5, 0.4], CANDIDATES) == pytest.approx((0.4, 1.0))
    assert dense_bounds([0.3, 0.5, 0.4], DENSE_ONLY) == (0.2, 0.8)
    assert dense_bounds([], CANDIDATES) == (0.2, 0.8)  # nothing to calibrate on: the fixed bounds


def test_the_same_cosine_means_more_when_it_stands_out_from_its_candidates() -> None:
    chunk_doc = {f"d{i}#0": f"d{i}" for i in range(5)}
    # One chunk well above a low background: relevant.
    clear = collapse(
        {"d0#0": 0.6, "d1#0": 0.3, "d2#0": 0.3, "d3#0": 0.3, "d4#0": 0.2}, {}, chunk_doc, CANDIDATES
    )
    # The same cosine among candidates that all score about the same: nothing stands out.
    flat = collapse(
        {"d0#0": 0.6, "d1#0": 0.59, "d2#0": 0.58, "d3#0": 0.58, "d4#0": 0.57}, {}, chunk_doc, CANDIDATES
    )
    assert clear[0].relevance == pytest.approx((0.6 - 0.3) / 0.7, abs=1e-6)
    assert flat[0].relevance == pytest.approx((0.6 - 0.58) / 0.42, abs=1e-6)
    assert clear[0].relevance > 8 * flat[0].relevance
    assert [d.relevance for d in clear][-1] == 0.0  # below the background: no dense relevance


def test_fused_order_is_plain_hybrid_search() -> None:
    docs = [
        DocScore("a", ("a#0",), fused=0.010, relevance=0.9),
        DocScore("b", ("b#0",), fused=0.030, relevance=0.2),
        DocScore("c", ("c#0",), fused=0.020, relevance=0.5),
    ]
    plain = RetrievalSettings(freshness=False, order_by="fused")
    assert [r.doc_id for r in rank(docs, {}, plain, 3)] == ["b", "c", "a"]
    assert [r.doc_id for r in rank(docs, {}, RetrievalSettings(freshness=False), 3)] == ["a", "c", "b"]


# Days since the epoch: 2019-03-19 and 2025-12-23, the last touches of the cloud-platform corpus's
# deleted "kubectl configuration" page and the live page that answers the same question.
OLD_TOUCH, NEW_TOUCH = 17974.0, 20445.0


def test_a_page_left_years_behind_a_current_competitor_loses_half_per_half_life() -> None:
    docs = [doc("old", 0.41), doc("current", 0.21)]
    touched = {"old": OLD_TOUCH, "current": NEW_TOUCH}
    factors = lag_factors(docs, touched, {"old", "current"}, HYBRID)
    lag = NEW_TOUCH - OLD_TOUCH - HYBRID.lag_grace_days
    assert factors == {"old": pytest.approx(max(HYBRID.lag_floor, 0.5 ** (lag / HYBRID.lag_half_life_days)))}
    assert 0.25 < factors["old"] < 0.4  # 6.8 years behind: 2.3 half-lives of 4 years beyond the grace


def test_the_lag_counts_only_against_competitors_that_are_current_and_relevant_enough() -> None:
    touched = {"old": OLD_TOUCH, "current": NEW_TOUCH}
    # Less than compete_ratio x its relevance: another question, not a competitor.
    assert lag_factors([doc("old", 0.9), doc("current", 0.4)], touched, {"old", "current"}, HYBRID) == {}
    # A newer page someone stated deprecated or replaced does not make others stale.
    assert lag_factors([doc("old", 0.4), doc("current", 0.4)], touched, {"old"}, HYBRID) == {}
    # Within the grace (one review cycle) nothing is lost; the newest page itself never lags.
    near = {"old": NEW_TOUCH - HYBRID.lag_grace_days, "current": NEW_TOUCH}
    assert lag_factors([doc("old", 0.4), doc("current", 0.4)], near, {"old", "current"}, HYBRID) == {}
    # Unknown dates: no lag either way; and the setting turns it off.
    assert (
        lag_factors([doc("old", 0.4), doc("current", 0.4)], {"current": NEW_TOUCH}, {"current"}, HYBRID) == {}
    )
    # An owner answered "not replaced": the old page does not lag behind that page.
    pair = [doc("old", 0.4), doc("current", 0.4)]
    assert lag_factors(pair, touched, {"old", "current"}, HYBRID, {"old": {"current"}}) == {}
    assert lag_factors(pair, touched, {"old", "current"}, HYBRID, {"current": {"old"}}) != {}
    off = RetrievalSettings(dense_calibration="fixed", lag_half_life_days=0)
    assert lag_factors([doc("old", 0.4), doc("current", 0.4)], touched, {"old", "current"}, off) == {}


def test_a_page_left_behind_ranks_after_the_current_page_that_answers_nearly_as_well() -> None:
    # cp-sup-27 ("what kubectl context name do I use?"): both pages are past due, and the 2019
    # page (no review date: weight 0.85) outweighed the live one (a missed review: 0.61).
    settings = RetrievalSettings()  # the defaults: on_topic_ratio 0.5, lag half-life 4 years
    docs = [doc("old", 0.41), doc("current", 0.30)]
    weights = {"old": 0.85, "current": 0.61}
    touched = {"old": OLD_TOUCH, "current": NEW_TOUCH}
    without = rank(docs, weights, settings, top_k=2)
    assert [r.doc_id for r in without] == ["old", "current"]
    ranked = rank(docs, weights, settings, top_k=2, touched=touched, current={"old", "current"})
    assert [r.doc_id for r in ranked] == ["current", "old"]
    # Without a current competitor the same page keeps its place (a sole source stays first).
    alone = rank(docs, weights, settings, top_k=2, touched=touched, current={"old"})
    assert [r.doc_id for r in alone] == ["old", "current"]


def _lag_by_definition(docs, touched, current, settings, not_replaced):  # type: ignore[no-untyped-def]
    """lag_factors written as its docstring says, pair by pair (O(n^2))."""
    out = {}
    for d in docs:
        if d.doc_id not in touched:
            continue
        bar = settings.compete_ratio * d.relevance
        rivals = [
            touched[c.doc_id]
            for c in docs
            if c.doc_id != d.doc_id
            and c.doc_id in current
            and c.doc_id not in not_replaced.get(d.doc_id, set())
            and c.doc_id in touched
            and c.relevance >= bar > 0
        ]
        lag = max(rivals) - touched[d.doc_id] - settings.lag_grace_days if rivals else 0.0
        if lag > 0:
            out[d.doc_id] = max(settings.lag_floor, 0.5 ** (lag / settings.lag_half_life_days))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_lag_factors_equal_the_pairwise_definition(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 80)
    docs = [doc(f"d{i}", round(rng.choice([0.0, rng.random()]), 3)) for i in range(n)]
    touched = {d.doc_id: 17000.0 + rng.randint(0, 3000) for d in docs if rng.random() < 0.9}
    current = {d.doc_id for d in docs if rng.random() < 0.8}
    not_replaced = {d.doc_id: {rng.choice(docs).doc_id} for d in docs if rng.random() < 0.1}
    settings = RetrievalSettings()
    got = lag_factors(docs, touched, current, settings, not_replaced)
    assert got == pytest.approx(_lag_by_definition(docs, touched, current, settings, not_replaced))
    assert any(v < 1 for v in got.values()) or n < 5 or not current  # the cases exercise the lag
