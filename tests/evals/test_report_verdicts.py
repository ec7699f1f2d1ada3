"""The report says per corpus whether FreshKB beats the baseline on hit@5 and MRR@10, with the
paired test's p-value."""

from __future__ import annotations

from evals.report import verdicts


def metric(base: float, cand: float, p: float) -> dict[str, object]:
    return {"baseline": base, "candidate": cand, "diff": cand - base, "p_value": p, "n_pairs": 40}


def test_verdicts_name_the_direction_and_significance() -> None:
    comparison = {
        "candidate": "freshkb",
        "baseline": "hybrid",
        "metrics": {"hit@5": metric(0.95, 0.95, 1.0), "mrr@10": metric(0.78, 0.92, 0.0025), "ndcg@10": {}},
    }
    assert verdicts(comparison) == [
        "- freshkb ties hybrid on hit@5: 0.950 vs 0.950 (diff 0.000, p = 1.0000, not significant)",
        "- freshkb beats hybrid on mrr@10: 0.920 vs 0.780 (diff 0.140, p = 0.0025, significant)",
    ]
    comparison["metrics"] = {"hit@5": metric(0.95, 0.9, 0.3)}
    assert verdicts(comparison) == [
        "- freshkb trails hybrid on hit@5: 0.900 vs 0.950 (diff -0.050, p = 0.3000, not significant)"
    ]
