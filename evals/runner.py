"""Run a golden set through the service's retrieval (and /ask answerer) and build the report.

Every configuration is a ``kb.search.retrieval.Retriever`` over the same runtime (same store, index and
model) with its own ``RetrievalSettings``, so two configurations are compared on exactly the
same data in one process. Questions are judged at a fixed ``now`` so a run is reproducible.

Principals: a question's ``user`` becomes the principal the API would build for that user's
``[[auth.tokens]]`` entry (its groups; admin when the entry says so or a group is in
``auth.admin_groups``); a user with no token entry is a plain principal with no groups. A
question without ``user`` runs as ``DEFAULT_USER``: a plain principal with no groups and no
admin rights, so it sees documents readable by ``everyone`` only (never an admin: an eval must
not see more than a real user would).

Answer checks use ``kb.answer.extractive_answerer`` (the default, offline answerer, as /v1/ask
runs it) on a search with the configuration's default ``top_k``, exactly as ``POST /v1/ask`` does.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.compare import DEFAULT_PERMUTATIONS, compare_runs, movers
from evals.golden import GoldenQuestion
from evals.metrics import (
    aggregate,
    first_relevant_rank,
    forbidden_strings,
    missing_strings,
    question_metrics,
    rank_documents,
)
from kb.config import AuthSettings, RetrievalSettings
from kb.errors import ConfigError
from kb.identity import principal_for_user
from kb.records import Principal

if TYPE_CHECKING:
    from kb.answer import Answerer
    from kb.runtime import Runtime

DEFAULT_USER = "eval"
DEPTH = 10  # documents retrieved per question: the deepest cut-off (mrr@10, ndcg@10)
PRIMARY = "freshkb"
PRESETS: dict[str, dict[str, bool | str]] = {
    "naive": {"dense": True, "bm25": False, "freshness": False},
    "hybrid": {"dense": True, "bm25": True, "freshness": False},
    "rrf": {"dense": True, "bm25": True, "freshness": False, "order_by": "fused"},
    "bm25": {"dense": False, "bm25": True, "freshness": False},
    "dense-fresh": {"dense": True, "bm25": False, "freshness": True},
}


@dataclass(frozen=True)
class System:
    """One configuration under evaluation."""

    name: str
    retrieval: RetrievalSettings


def baseline_system(spec: str, configured: RetrievalSettings) -> System:
    """A preset name (``naive``, ``hybrid``, ``rrf``, ``bm25``, ``dense-fresh``) or a TOML file whose
    ``[retrieval]`` table overrides the configured retrieval settings."""
    if spec in PRESETS:
        return System(spec, configured.model_copy(update=PRESETS[spec]))
    file = Path(spec)
    if not file.is_file():
        raise ConfigError(f"neither a preset ({', '.join(PRESETS)}) nor a file", subject=spec)
    try:
        table = tomllib.loads(file.read_text(encoding="utf-8")).get("retrieval", {})
        merged = RetrievalSettings.model_validate(configured.model_dump() | table)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as err:
        raise ConfigError(f"cannot use as a baseline configuration: {err}", subject=spec) from err
    return System(file.stem, merged)


def principal_for(user: str | None, auth: AuthSettings) -> Principal:
    """The principal a question is asked as: the one the API builds for ``user``'s token."""
    if not user:
        return Principal(user=DEFAULT_USER)
    return principal_for_user(user, auth)


def _failed_checks(q: GoldenQuestion, ranking: list[str], answer: str | None) -> list[str]:
    failed = []
    if q.relevant and first_relevant_rank(ranking, q.relevant, 5) is None:
        failed.append("no relevant document in the top 5")
    if q.relevant and q.stale:
        first = first_relevant_rank(ranking, q.relevant, DEPTH)
        above = [d for d in ranking[: (first or DEPTH + 1) - 1] if d in q.stale]
        if first is None:
            failed.append("stale_first: no relevant document in the top 10")
        elif above:
            failed.append(f"stale_first: {', '.join(above)} ranked above the first relevant document")
    if answer is not None:
        failed += [
            f"must_contain: '{s}' missing from the answer" for s in missing_strings(answer, q.must_contain)
        ]
        failed += [
            f"must_not_contain: '{s}' in the answer" for s in forbidden_strings(answer, q.must_not_contain)
        ]
    return failed


def run_question(
    runtime: Runtime, retriever: Any, answerer: Answerer | None, q: GoldenQuestion, now: datetime
) -> dict[str, Any]:
    principal = principal_for(q.user, runtime.settings.auth)
    result = retriever.search(q.question, principal, top_k=DEPTH, now=now)
    by_id = {h.doc.doc_id: h for h in result.hits}
    ranking = rank_documents((h.doc.doc_id, h.rank) for h in result.hits)
    statuses = [by_id[d].freshness.status for d in ranking]
    answer = None
    if answerer is not None and (q.must_contain or q.must_not_contain):
        asked = retriever.search(q.question, principal, top_k=None, now=now)
        answer = answerer.answer(q.question, asked).text
    metrics = question_metrics(
        ranking, statuses, q.relevant, q.stale, answer, q.must_contain, q.must_not_contain
    )
    return {
        "qid": q.qid,
        "question": q.question,
        "slice": q.slice,
        "user": principal.user,
        "line": q.line,
        "ranked": [
            {
                "rank": i,
                "doc_id": d,
                "title": by_id[d].doc.title,
                "status": statuses[i - 1],
                "score": round(by_id[d].score, 6),
                "grade": q.relevant.get(d, 0),
                "stale": d in q.stale,
            }
            for i, d in enumerate(ranking, start=1)
        ],
        "first_relevant_rank": first_relevant_rank(ranking, q.relevant, DEPTH),
        "missing_relevant": sorted(set(q.relevant) - set(ranking)),
        "metrics": metrics,
        "answer": answer,
        "failed_checks": _failed_checks(q, ranking, answer),
        "warnings": list(result.warnings),
        "took_ms": round(result.took_ms, 1),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall and per-slice aggregates of per-question rows."""
    slices: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["slice"]:
            slices.setdefault(row["slice"], []).append(row)
    return {
        "overall": aggregate([r["metrics"] for r in rows]),
        "slices": {name: aggregate([r["metrics"] for r in group]) for name, group in sorted(slices.items())},
    }


def run_system(
    runtime: Runtime,
    system: System,
    questions: list[GoldenQuestion],
    now: datetime,
    answerer: Answerer | None,
) -> dict[str, Any]:

    retriever = runtime.retriever_for(system.retrieval)
    rows = [run_question(runtime, retriever, answerer, q, now) for q in questions]
    return {
        "retrieval": system.retrieval.model_dump(mode="json"),
        "metrics": summarize(rows),
        "mean_took_ms": round(sum(r["took_ms"] for r in rows) / len(rows), 1) if rows else None,
        "questions": rows,
    }


def default_answerer(runtime: Runtime) -> Answerer:
    from kb.answer.extractive import extractive_answerer

    return extractive_answerer(runtime.settings.answer, runtime.documents, runtime.answer_embedder)


def run_eval(
    runtime: Runtime,
    golden: Path,
    questions: list[GoldenQuestion],
    *,
    now: datetime,
    baseline: System | None = None,
    answerer: Answerer | None = None,
    seed: int = 0,
    permutations: int = DEFAULT_PERMUTATIONS,
) -> dict[str, Any]:
    """The full report: the configured retrieval (``freshkb``), optionally a baseline beside it."""
    answerer = answerer or default_answerer(runtime)
    systems = [System(PRIMARY, runtime.settings.retrieval)]
    if baseline is not None:
        if baseline.name == PRIMARY:
            raise ConfigError(f"the baseline cannot be named '{PRIMARY}'", subject=baseline.name)
        systems.append(baseline)
    report: dict[str, Any] = {
        "schema": 1,
        "golden": str(golden),
        "golden_sha256": hashlib.sha256(golden.read_bytes()).hexdigest(),
        "now": now.astimezone(UTC).isoformat(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "primary": PRIMARY,
        "configurations": {s.name: run_system(runtime, s, questions, now, answerer) for s in systems},
        "comparison": None,
    }
    if baseline is not None:
        base_rows = report["configurations"][baseline.name]["questions"]
        cand_rows = report["configurations"][PRIMARY]["questions"]
        better, worse = movers(base_rows, cand_rows)
        report["comparison"] = {
            "baseline": baseline.name,
            "candidate": PRIMARY,
            "seed": seed,
            "permutations": permutations,
            "metrics": compare_runs(base_rows, cand_rows, permutations=permutations, seed=seed),
            "better": better,
            "worse": worse,
        }
    return report
