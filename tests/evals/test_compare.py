"""Paired randomization test and the better/worse lists."""

from __future__ import annotations

import pytest

from evals.compare import compare_runs, movers, paired_randomization_test


def test_identical_systems_have_p_one():
    values = [0.2, 0.5, 1.0, 0.0, 0.3] * 10
    assert paired_randomization_test(values, values) == 1.0


def test_clear_improvement_on_many_questions_has_small_p():
    base = [0.2, 0.4, 0.1, 0.5, 0.3] * 8
    cand = [b + 0.3 for b in base]
    p = paired_randomization_test(base, cand, permutations=10_000, seed=1)
    # Every difference is positive: only the all-plus assignment (and its mirror) is as extreme.
    assert p == pytest.approx(1 / 10_001)


def test_exact_enumeration_for_small_samples():
    # d = [1, 1, 1, 1]: of 16 sign assignments, two (all + / all -) reach |mean| = 1.
    assert paired_randomization_test([0, 0, 0, 0], [1, 1, 1, 1]) == pytest.approx(2 / 16)
    # d = [1, -1]: every assignment has |mean| 0 or 1; two of four reach 0 >= 0.
    assert paired_randomization_test([0, 1], [1, 0]) == 1.0


def test_noise_is_not_significant():
    base = [0.0, 1.0] * 20
    cand = [1.0, 0.0] * 19 + [1.0, 1.0]
    assert paired_randomization_test(base, cand, seed=3) > 0.5


def test_seeded_runs_are_deterministic_and_seeds_differ():
    base = [0.0, 1.0, 0.5, 0.2] * 10
    cand = [0.1, 1.0, 0.4, 0.6] * 10
    first = paired_randomization_test(base, cand, seed=7)
    assert first == paired_randomization_test(base, cand, seed=7)
    others = {paired_randomization_test(base, cand, seed=s) for s in range(5)}
    assert len(others) > 1


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        paired_randomization_test([1.0], [1.0, 2.0])


def _row(qid: str, ndcg: float | None, rr: float | None, **extra: float | None) -> dict:
    return {"qid": qid, "slice": None, "metrics": {"ndcg@10": ndcg, "rr@10": rr, **extra}}


def test_compare_runs_pairs_only_where_both_are_defined():
    base = [_row("a", 0.5, 0.5, stale_first=1.0), _row("b", None, None), _row("c", 1.0, 1.0)]
    cand = [_row("a", 1.0, 1.0, stale_first=0.0), _row("b", None, None), _row("c", 1.0, 1.0)]
    out = compare_runs(base, cand)
    assert out["ndcg@10"]["n_pairs"] == 2
    assert out["ndcg@10"]["diff"] == pytest.approx(0.25)
    assert out["stale_first_rate"]["n_pairs"] == 1
    assert out["stale_first_rate"]["diff"] == -1.0
    assert out["stale_first_rate"]["higher_is_better"] is False
    assert out["answer_contains_rate"]["p_value"] is None


def test_movers_rank_by_ndcg_then_reciprocal_rank():
    base = [
        _row("up", 0.2, 0.5),
        _row("same", 1.0, 1.0),
        _row("down", 1.0, 1.0),
        _row("rr-up", 0.5, 0.25),
        _row("na", None, None),
    ]
    cand = [
        _row("up", 0.9, 1.0),
        _row("same", 1.0, 1.0),
        _row("down", 0.4, 0.5),
        _row("rr-up", 0.5, 0.5),
        _row("na", None, None),
    ]
    better, worse = movers(base, cand)
    assert [e["qid"] for e in better] == ["up", "rr-up"]
    assert [e["qid"] for e in worse] == ["down"]
    assert better[0]["baseline_ndcg@10"] == 0.2 and better[0]["candidate_ndcg@10"] == 0.9
