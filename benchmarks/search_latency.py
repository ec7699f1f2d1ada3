"""Single-process ``Retriever.search`` latency on an index built by ``benchmarks.scale_index``.

    .venv/bin/python -m benchmarks.search_latency --docs 17000 --work /tmp/freshkb-scale [--n 100] [--profile]

Warms the caches (document map, BM25, dense matrix, model), then runs ``--n`` queries per
principal (a restricted user, a user in ``security``, an admin) one after another and prints
p50 / p95 / max in ms, including the query embedding by the real model (``--precomputed``:
without it). With ``--exact-max 0`` the dense part runs on Chroma's filtered HNSW query instead
of the in-memory matrix.
``--profile`` adds a pyinstrument profile of the restricted principal's searches (dev extra).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.scale_index import scale_settings
from benchmarks.serve_memory import PRINCIPALS
from benchmarks.synth import queries
from kb.runtime import Runtime


class _Precomputed:
    """Stands in for the model with the queries' vectors computed beforehand."""

    def __init__(self, vectors: dict[str, list[float]], inner: object) -> None:
        self.vectors, self.inner = vectors, inner
        self.dimension, self.name = 384, "precomputed"
        self.symmetric = True

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=17000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshkb-scale"))
    parser.add_argument("--chunk-size", type=int, default=0, help="index.chunk_size (0 = default)")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--exact-max", type=int, default=None, help="retrieval.exact_max_chunks")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--precomputed", action="store_true", help="embed the queries first: time retrieval without the model"
    )
    args = parser.parse_args()
    rt = Runtime(scale_settings(args.work, args.docs, args.chunk_size or None))
    settings = rt.settings.retrieval
    if args.exact_max is not None:
        settings = settings.model_copy(update={"exact_max_chunks": args.exact_max})
    retriever = rt.retriever_for(settings)
    started = time.perf_counter()
    for p in PRINCIPALS.values():
        retriever.search("warm up", p)
    print(
        f"index: {rt.index.count()} chunks; warm-up (caches + model) {time.perf_counter() - started:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    qs = queries(args.n, seed=2)
    if args.precomputed:
        model = rt.embedder
        rt.__dict__["embedder"] = _Precomputed({q: model.embed_query(q) for q in qs}, model)
    for name, p in PRINCIPALS.items():
        times, cpu = [], []
        for q in qs:
            t, c = time.perf_counter(), time.thread_time()
            retriever.search(q, p)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
        print(
            f"{name:10} n={len(times)} p50 {statistics.median(times):7.1f} ms  "
            f"p95 {percentile(times, 0.95):7.1f} ms  max {max(times):7.1f} ms  "
            f"(CPU of this thread p50 {statistics.median(cpu):6.1f} ms)"
        )
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for q in qs[:30]:
            retriever.search(q, PRINCIPALS["restricted"])
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
