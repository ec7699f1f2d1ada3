"""Compare two configurations on the same questions: paired randomization test and movers.

The test is the sign-flip permutation test on per-question differences ``d = candidate -
baseline``: under the null hypothesis (the two systems are exchangeable) each ``d_i`` is as
likely to be ``-d_i``, so the p-value is the share of sign assignments whose mean difference is
at least as far from zero as the observed one (two-sided). With at most ``EXACT_MAX`` questions
every assignment is enumerated (exact); otherwise ``permutations`` random assignments are drawn
from a seeded generator and ``p = (hits + 1) / (permutations + 1)`` (never 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evals.metrics import LOWER_IS_BETTER, PER_QUESTION

EXACT_MAX = 16  # 2**16 = 65,536 sign assignments: cheaper to enumerate than to sample
DEFAULT_PERMUTATIONS = 10_000
# Relative tolerance so float noise in an equal-magnitude permutation still counts as "as extreme".
_EPS = 1e-12


def paired_randomization_test(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> float:
    """Two-sided p-value that ``candidate`` and ``baseline`` differ in mean on paired values."""
    if len(baseline) != len(candidate):
        raise ValueError("paired samples must have the same length")
    d = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    n = d.size
    if n == 0 or not np.any(d):
        return 1.0
    observed = abs(d.mean())
    threshold = observed - _EPS * max(1.0, observed)
    if n <= EXACT_MAX:
        # Row i of `signs` is the binary expansion of i mapped to {-1, +1}.
        codes = np.arange(2**n, dtype=np.int64)[:, None]
        signs = 1 - 2 * ((codes >> np.arange(n, dtype=np.int64)) & 1)
        stats = np.abs(signs @ d) / n
        return float(np.count_nonzero(stats >= threshold) / stats.size)
    rng = np.random.default_rng(seed)
    hits = 0
    batch = 2_000
    done = 0
    while done < permutations:
        size = min(batch, permutations - done)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, n))
        hits += int(np.count_nonzero(np.abs(signs @ d) / n >= threshold))
        done += size
    return (hits + 1) / (permutations + 1)


def _paired(
    base_rows: Sequence[Mapping[str, Any]], cand_rows: Sequence[Mapping[str, Any]], key: str
) -> tuple[list[float], list[float]]:
    cand_by_qid = {row["qid"]: row["metrics"].get(key) for row in cand_rows}
    a: list[float] = []
    b: list[float] = []
    for row in base_rows:
        x, y = row["metrics"].get(key), cand_by_qid.get(row["qid"])
        if x is not None and y is not None:
            a.append(float(x))
            b.append(float(y))
    return a, b


def compare_runs(
    base_rows: Sequence[Mapping[str, Any]],
    cand_rows: Sequence[Mapping[str, Any]],
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Per metric: both means over the questions where both are defined, diff, p-value.

    ``*_rows`` are per-question results: ``{"qid": ..., "metrics": {PER_QUESTION key: value}}``.
    """
    out: dict[str, dict[str, Any]] = {}
    for per_q, key in PER_QUESTION.items():
        a, b = _paired(base_rows, cand_rows, per_q)
        mean_a = sum(a) / len(a) if a else None
        mean_b = sum(b) / len(b) if b else None
        out[key] = {
            "baseline": mean_a,
            "candidate": mean_b,
            "diff": (mean_b - mean_a) if mean_a is not None and mean_b is not None else None,
            "p_value": paired_randomization_test(a, b, permutations=permutations, seed=seed) if a else None,
            "n_pairs": len(a),
            "higher_is_better": key not in LOWER_IS_BETTER,
        }
    return out


def movers(
    base_rows: Sequence[Mapping[str, Any]], cand_rows: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Questions that got better / worse: by nDCG@10, then by reciprocal rank; biggest first."""
    cand_by_qid = {row["qid"]: row["metrics"] for row in cand_rows}
    better: list[tuple[tuple[float, float], dict[str, Any]]] = []
    worse: list[tuple[tuple[float, float], dict[str, Any]]] = []
    for row in base_rows:
        before, after = row["metrics"], cand_by_qid.get(row["qid"])
        if after is None or before.get("ndcg@10") is None or after.get("ndcg@10") is None:
            continue
        delta = (after["ndcg@10"] - before["ndcg@10"], after["rr@10"] - before["rr@10"])
        entry = {
            "qid": row["qid"],
            "slice": row.get("slice"),
            "baseline_ndcg@10": before["ndcg@10"],
            "candidate_ndcg@10": after["ndcg@10"],
            "baseline_rr@10": before["rr@10"],
            "candidate_rr@10": after["rr@10"],
        }
        # nDCG decides; reciprocal rank only breaks an nDCG tie.
        moved = next((x for x in delta if abs(x) > 1e-9), 0.0)
        if moved > 0:
            better.append((delta, entry))
        elif moved < 0:
            worse.append((delta, entry))
    better.sort(key=lambda pair: pair[0], reverse=True)
    worse.sort(key=lambda pair: pair[0])
    return [e for _, e in better], [e for _, e in worse]
