"""One measured ingest, run in its own process so its peak RSS is its own (``run.py`` samples it).

``python -m benchmarks.ingest_worker CONFIG_JSON EXPORT [--pipeline ours|naive] [--mode real|pooled]
[--raw] [--floor N]`` prints one JSON line: wall (and CPU) seconds of the ingest (model already loaded),
documents, chunks embedded, seconds spent inside the embedder, and with ``--raw`` the seconds the
model alone takes on exactly the texts the pipeline embedded (the physical limit), with
``--floor N`` the query-embedding time of N queries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from benchmarks.embedders import CachedEmbedder, EmbeddingCache, TimedEmbedder
from benchmarks.synth import queries
from kb.clock import FixedClock
from kb.config import settings_from_dict
from kb.runtime import Runtime
from kb.search.embedding import load_embedder


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def query_floor(embedder: Any, n: int) -> dict[str, float]:
    """Query embedding alone: the floor under any search latency."""
    times = []
    for q in queries(n, seed=1):
        started = time.perf_counter()
        embedder.embed_query(q)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(_percentile(times, 95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", type=Path)
    parser.add_argument("export", type=Path)
    parser.add_argument("--pipeline", choices=["ours", "naive"], default="ours")
    parser.add_argument("--mode", choices=["real", "pooled"], default="real")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--floor", type=int, default=0)
    args = parser.parse_args()

    settings = settings_from_dict(json.loads(args.config.read_text()))
    model = load_embedder(settings.model)
    model.embed(["warm up the model", "and its tokenizer"])
    cache = EmbeddingCache(args.cache)
    embedder = TimedEmbedder(CachedEmbedder(model, cache, args.mode))
    out: dict[str, Any] = {"pipeline": args.pipeline, "mode": args.mode, "export": str(args.export)}

    started, cpu_started = time.perf_counter(), time.process_time()
    if args.pipeline == "ours":
        rt = Runtime(settings, embedder=embedder, clock=FixedClock(time_now()))
        report = rt.ingester().ingest("notion", args.export)
        out.update(
            documents=len(report.added) + len(report.updated) + len(report.unchanged),
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            removed=len(report.removed),
            failed=len(report.failed),
            chunks_embedded=report.chunks_embedded,
            index_chunks=rt.index.count(),
        )
        rt.close()
    else:
        from benchmarks.naive import naive_ingest

        out.update(naive_ingest(settings, args.export, embedder))
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["cpu_seconds"] = round(time.process_time() - cpu_started, 3)  # all threads; steadier under load
    out["embed_seconds"] = round(embedder.seconds, 3)
    inner = embedder.inner
    assert isinstance(inner, CachedEmbedder)
    out.update(cache_hits=inner.hits, computed=inner.computed, pooled=inner.pooled)
    if args.raw and embedder.texts:
        started, cpu_started = time.perf_counter(), time.process_time()
        model.embed(embedder.texts)
        out["raw_seconds"] = round(time.perf_counter() - started, 3)
        out["raw_cpu_seconds"] = round(time.process_time() - cpu_started, 3)
        out["raw_texts"] = len(embedder.texts)
    if args.floor:
        out["query_floor"] = query_floor(model, args.floor)
    print(json.dumps(out))


def time_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


if __name__ == "__main__":
    main()
