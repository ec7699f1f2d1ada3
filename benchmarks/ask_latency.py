"""In-process cost of an answer next to its search: stored sentence vectors against embedding the
candidate sentences per request (the answerer before issue 14), on an ingested store.

    KB_DATA_DIR=... .venv/bin/python -m benchmarks.ask_latency --config config.toml \\
        --golden evals/golden/example.jsonl

For each golden question (as an admin, so every source is readable): the search, then the
extractive answer with ``Runtime.answer_embedder`` (what ``/v1/ask`` uses) and with the plain
model (per request). Prints p50s in ms, the model calls the stored path made, and whether the
answers matched. Each question is asked once (the query cache holds it from the search, as in
``/v1/ask``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from evals.golden import load_golden
from kb.answer.extractive import extractive_answerer
from kb.answer.precomputed import PrecomputedSentences
from kb.config import load_settings
from kb.records import Principal
from kb.runtime import Runtime

ADMIN = Principal(user="bench-admin@freshkb.invalid", admin=True)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--golden", type=Path, required=True)
    args = parser.parse_args()
    rt = Runtime(load_settings(args.config))
    stored = rt.answer_embedder
    assert isinstance(stored, PrecomputedSentences)
    fast = extractive_answerer(rt.settings.answer, rt.documents, stored)
    slow = extractive_answerer(rt.settings.answer, rt.documents, rt.embedder)
    rt.retriever.search("warm up", ADMIN)
    search, ask, per_request, same = [], [], [], 0
    questions = [q.question for q in load_golden(args.golden)]
    for q in questions:
        started = time.perf_counter()
        result = rt.retriever.search(q, ADMIN)
        search.append(_ms(started))
        started = time.perf_counter()
        answer = fast.answer(q, result)
        ask.append(_ms(started))
        started = time.perf_counter()
        old = slow.answer(q, result)
        per_request.append(_ms(started))
        same += answer.text == old.text
    out = {
        "questions": len(questions),
        "search_p50_ms": round(statistics.median(search), 1),
        "answer_stored_p50_ms": round(statistics.median(ask), 1),
        "answer_per_request_p50_ms": round(statistics.median(per_request), 1),
        "stored_path_model_calls": stored.model_calls,
        "same_answers": same,
        "loadavg_1m": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(out))
    rt.close()


if __name__ == "__main__":
    main()
