"""Retrieval and answer metrics: pure functions over one ranked list of document ids.

Definitions (``k`` is the cut-off; ranks are 1-based positions in the ranking):

- The ranking is the service's order (``SearchHit.rank``: the retriever puts on-topic documents
  first, so it is not always score order), made by ``rank_documents``: rank ascending, equal
  ranks broken by doc id ascending, a repeated doc id at its best rank. The tie rule makes a
  result independent of the order tied hits happen to come back in.
- ``hit@k``: 1 if any relevant document is in the top k, else 0.
- ``recall@k``: relevant documents in the top k / all relevant documents.
- ``mrr@k``: 1 / rank of the first relevant document in the top k, 0 if none.
- ``ndcg@k``: DCG / ideal DCG with exponential gain ``2**grade - 1`` (grades 1-3, so a grade-3
  document is worth 7 times a grade-1 one) and discount ``log2(rank + 1)``. The ideal ranking
  puts every labelled document in grade order, so a missing relevant document costs.
- These four are undefined (``None``) for a question with no relevant documents: the no-answer
  slice is excluded from their denominators.
- ``stale_first``: for a question with a ``stale`` list and at least one relevant document: 1 if
  no relevant document is in the top 10, or a stale document ranks above the first relevant one;
  else 0. ``None`` otherwise (with no relevant documents there is nothing to rank first).
- ``stale_share@k``: share of the filled top-k slots held by documents whose freshness status is
  not fresh. ``fresh`` and ``due_soon`` count as fresh (a due-soon document is still inside its
  review interval); ``overdue``, ``unknown``, ``deprecated``, ``archived`` and ``superseded`` do
  not. ``None`` for an empty ranking.
- ``answer_contains``: 1 if every ``must_contain`` string is in the answer (case-insensitive,
  whitespace-normalised); ``answer_forbidden``: 1 if any ``must_not_contain`` string is.
  ``None`` when the question has no such checks.

Aggregates are the mean over the questions where a metric is defined (``None`` when it is
defined for none of them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

FRESH_STATUSES = frozenset({"fresh", "due_soon"})

# Keys of the aggregate metrics, in report order.
RATE_METRICS = (
    "hit@1",
    "hit@5",
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "stale_first_rate",
    "stale_share@5",
    "answer_contains_rate",
    "answer_forbidden_rate",
)
COUNT_KEYS = ("n", "n_with_relevant", "n_with_stale", "n_with_must_contain", "n_with_must_not_contain")
# Metrics where a lower value is better (the gate treats their thresholds as maximums).
LOWER_IS_BETTER = frozenset({"stale_first_rate", "stale_share@5", "answer_forbidden_rate"})
# Per-question metric -> aggregate key.
PER_QUESTION = {
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "recall@5": "recall@5",
    "rr@10": "mrr@10",
    "ndcg@10": "ndcg@10",
    "stale_first": "stale_first_rate",
    "stale_share@5": "stale_share@5",
    "answer_contains": "answer_contains_rate",
    "answer_forbidden": "answer_forbidden_rate",
}


def rank_documents(ranked: Iterable[tuple[str, float]]) -> list[str]:
    """Doc ids in the retriever's order: by rank ascending, equal ranks by doc id ascending, a
    repeated doc id at its best rank."""
    best: dict[str, float] = {}
    for doc_id, position in ranked:
        if doc_id not in best or position < best[doc_id]:
            best[doc_id] = position
    return sorted(best, key=lambda d: (best[d], d))


def first_relevant_rank(ranking: Sequence[str], relevant: Iterable[str], k: int | None = None) -> int | None:
    wanted = set(relevant)
    for i, doc_id in enumerate(ranking[:k] if k else ranking, start=1):
        if doc_id in wanted:
            return i
    return None


def hit_at(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float | None:
    wanted = set(relevant)
    if not wanted:
        return None
    return 1.0 if wanted.intersection(ranking[:k]) else 0.0


def recall_at(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float | None:
    wanted = set(relevant)
    if not wanted:
        return None
    return len(wanted.intersection(ranking[:k])) / len(wanted)


def reciprocal_rank(ranking: Sequence[str], relevant: Iterable[str], k: int = 10) -> float | None:
    wanted = set(relevant)
    if not wanted:
        return None
    rank = first_relevant_rank(ranking, wanted, k)
    return 1.0 / rank if rank else 0.0


def gain(grade: int) -> float:
    """Exponential gain: grade 1 -> 1, 2 -> 3, 3 -> 7."""
    return float(2**grade - 1)


def ndcg_at(ranking: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float | None:
    if not grades:
        return None
    dcg = sum(gain(grades.get(d, 0)) / math.log2(i + 1) for i, d in enumerate(ranking[:k], start=1))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(gain(g) / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else None


def stale_first(
    ranking: Sequence[str], relevant: Iterable[str], stale: Iterable[str], k: int = 10
) -> float | None:
    wanted, outdated = set(relevant), set(stale)
    if not wanted or not outdated:
        return None
    rank = first_relevant_rank(ranking, wanted, k)
    if rank is None:
        return 1.0
    return 1.0 if outdated.intersection(ranking[: rank - 1]) else 0.0


def stale_share_at(statuses: Sequence[str], k: int = 5) -> float | None:
    top = statuses[:k]
    if not top:
        return None
    return sum(1 for s in top if s not in FRESH_STATUSES) / len(top)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def missing_strings(answer: str, must_contain: Iterable[str]) -> list[str]:
    text = _norm(answer)
    return [s for s in must_contain if _norm(s) not in text]


def forbidden_strings(answer: str, must_not_contain: Iterable[str]) -> list[str]:
    text = _norm(answer)
    return [s for s in must_not_contain if _norm(s) in text]


def question_metrics(
    ranking: Sequence[str],
    statuses: Sequence[str],
    grades: Mapping[str, int],
    stale: Sequence[str],
    answer: str | None,
    must_contain: Sequence[str],
    must_not_contain: Sequence[str],
) -> dict[str, float | None]:
    """Every per-question metric (keys of ``PER_QUESTION``) for one question."""
    contains = forbidden = None
    if answer is not None and must_contain:
        contains = 0.0 if missing_strings(answer, must_contain) else 1.0
    if answer is not None and must_not_contain:
        forbidden = 1.0 if forbidden_strings(answer, must_not_contain) else 0.0
    return {
        "hit@1": hit_at(ranking, grades, 1),
        "hit@5": hit_at(ranking, grades, 5),
        "recall@5": recall_at(ranking, grades, 5),
        "rr@10": reciprocal_rank(ranking, grades, 10),
        "ndcg@10": ndcg_at(ranking, grades, 10),
        "stale_first": stale_first(ranking, grades, stale, 10),
        "stale_share@5": stale_share_at(statuses, 5),
        "answer_contains": contains,
        "answer_forbidden": forbidden,
    }


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def aggregate(rows: Sequence[Mapping[str, float | None]]) -> dict[str, float | int | None]:
    """Aggregate per-question metrics (``PER_QUESTION`` keys) into the report's metric keys.

    The counts say how many questions each rate is over: ``n`` (all), ``n_with_relevant`` (the
    hit/recall/mrr/ndcg denominator), ``n_with_stale`` (stale_first_rate) and the answer checks.
    """
    out: dict[str, float | int | None] = {
        key: mean_or_none(row.get(per_q) for row in rows) for per_q, key in PER_QUESTION.items()
    }

    def defined(key: str) -> int:
        return sum(1 for row in rows if row.get(key) is not None)

    out.update(
        n=len(rows),
        n_with_relevant=defined("hit@1"),
        n_with_stale=defined("stale_first"),
        n_with_must_contain=defined("answer_contains"),
        n_with_must_not_contain=defined("answer_forbidden"),
    )
    return out
