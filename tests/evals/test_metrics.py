"""Metric functions against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    aggregate,
    hit_at,
    ndcg_at,
    question_metrics,
    rank_documents,
    recall_at,
    reciprocal_rank,
    stale_first,
    stale_share_at,
)


def test_ties_break_by_doc_id_whatever_the_input_order():
    assert rank_documents([("b", 2), ("a", 2), ("c", 1)]) == ["c", "a", "b"]
    assert rank_documents([("a", 2), ("c", 1), ("b", 2)]) == ["c", "a", "b"]


def test_ranking_follows_the_rank_not_the_input_order():
    assert rank_documents([("z", 3), ("y", 1), ("x", 2)]) == ["y", "x", "z"]


def test_repeated_doc_keeps_its_best_rank():
    assert rank_documents([("a", 3), ("b", 2), ("a", 1)]) == ["a", "b"]


def test_hit_recall_rr_on_a_simple_ranking():
    ranking = ["x", "a", "y", "z", "w", "b"]
    relevant = {"a": 1, "b": 1}
    assert hit_at(ranking, relevant, 1) == 0.0
    assert hit_at(ranking, relevant, 5) == 1.0
    assert recall_at(ranking, relevant, 5) == 0.5
    assert reciprocal_rank(ranking, relevant, 10) == 0.5


def test_relevant_doc_missing_from_the_ranking_scores_zero():
    relevant = {"gone": 1}
    assert hit_at(["a", "b"], relevant, 5) == 0.0
    assert recall_at(["a", "b"], relevant, 5) == 0.0
    assert reciprocal_rank(["a", "b"], relevant, 10) == 0.0
    assert ndcg_at(["a", "b"], relevant, 10) == 0.0


def test_relevant_doc_below_the_cutoff_does_not_count():
    ranking = [f"d{i}" for i in range(10)] + ["a"]
    assert reciprocal_rank(ranking, {"a": 1}, 10) == 0.0
    assert ndcg_at(ranking, {"a": 1}, 10) == 0.0


def test_empty_ranking():
    assert hit_at([], {"a": 1}, 5) == 0.0
    assert ndcg_at([], {"a": 3}, 10) == 0.0
    assert stale_share_at([], 5) is None
    assert stale_first([], {"a": 1}, ["s"]) == 1.0


def test_no_relevant_docs_means_undefined_not_zero():
    assert hit_at(["a"], {}, 5) is None
    assert recall_at(["a"], {}, 5) is None
    assert reciprocal_rank(["a"], {}, 10) is None
    assert ndcg_at(["a"], {}, 10) is None


def test_graded_ndcg_uses_exponential_gain():
    # DCG = gain(1)/log2(2) + 0 + gain(3)/log2(4) = 1 + 7/2; ideal = 7/1 + 1/log2(3).
    assert ndcg_at(["b", "x", "a"], {"a": 3, "b": 1}, 10) == pytest.approx(4.5 / (7 + 1 / math.log2(3)))
    assert ndcg_at(["b", "x", "a"], {"a": 3, "b": 1}, 10) == pytest.approx(0.5897053367)


def test_graded_ndcg_counts_missing_relevant_docs_in_the_ideal():
    # Only the grade-2 doc is found, at rank 2: 3/log2(3) over 7 + 3/log2(3) + 1/log2(4).
    assert ndcg_at(["x", "b"], {"a": 3, "b": 2, "c": 1}, 10) == pytest.approx(0.2015151419)


def test_perfect_ranking_has_ndcg_one():
    assert ndcg_at(["a", "b", "c"], {"a": 3, "b": 2, "c": 1}, 10) == pytest.approx(1.0)


def test_stale_first_when_a_stale_doc_outranks_every_relevant_one():
    assert stale_first(["s", "a"], {"a": 1}, ["s"]) == 1.0
    assert stale_first(["a", "s"], {"a": 1}, ["s"]) == 0.0
    # A stale doc below one relevant doc but above another is fine: the first relevant one wins.
    assert stale_first(["a", "s", "b"], {"a": 1, "b": 1}, ["s"]) == 0.0


def test_stale_first_when_no_relevant_doc_is_in_the_top_10():
    ranking = [f"d{i}" for i in range(10)] + ["a"]
    assert stale_first(ranking, {"a": 1}, ["s"]) == 1.0


def test_stale_first_is_undefined_without_a_stale_list_or_relevant_docs():
    assert stale_first(["s", "a"], {"a": 1}, []) is None
    assert stale_first(["s"], {}, ["s"]) is None


def test_stale_share_counts_due_soon_as_fresh_and_unknown_as_not():
    assert stale_share_at(["fresh", "due_soon", "overdue", "unknown", "superseded"], 5) == 0.6
    assert stale_share_at(["fresh", "fresh", "fresh", "fresh", "fresh", "archived"], 5) == 0.0


def test_stale_share_is_over_the_filled_slots():
    assert stale_share_at(["deprecated", "fresh"], 5) == 0.5


def test_answer_checks_are_case_and_whitespace_insensitive():
    m = question_metrics(
        ["a"], ["fresh"], {"a": 1}, [], "Invoices are made by  STRIPE now.", ["stripe now"], ["perl invoicer"]
    )
    assert m["answer_contains"] == 1.0
    assert m["answer_forbidden"] == 0.0
    m = question_metrics(
        ["a"], ["fresh"], {"a": 1}, [], "The Perl invoicer runs nightly.", ["Stripe"], ["Perl Invoicer"]
    )
    assert m["answer_contains"] == 0.0
    assert m["answer_forbidden"] == 1.0


def test_answer_checks_undefined_without_checks():
    m = question_metrics(["a"], ["fresh"], {"a": 1}, [], "anything", [], [])
    assert m["answer_contains"] is None and m["answer_forbidden"] is None


def test_aggregate_excludes_no_answer_questions_from_relevance_denominators():
    with_rel = question_metrics(["a"], ["fresh"], {"a": 1}, ["s"], None, [], [])
    no_answer = question_metrics(["b"], ["overdue"], {}, [], None, [], [])
    missed = question_metrics(["s", "b"], ["superseded", "fresh"], {"a": 1}, ["s"], None, [], [])
    agg = aggregate([with_rel, no_answer, missed])
    assert agg["n"] == 3
    assert agg["n_with_relevant"] == 2
    assert agg["n_with_stale"] == 2
    assert agg["hit@1"] == 0.5
    assert agg["mrr@10"] == 0.5
    assert agg["stale_first_rate"] == 0.5
    # stale_share@5 is over every question with results: (0 + 1 + 0.5) / 3.
    assert agg["stale_share@5"] == pytest.approx(0.5)
    assert agg["answer_contains_rate"] is None
