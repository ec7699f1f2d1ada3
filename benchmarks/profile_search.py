"""Where a search's time goes: build (or reuse) an index of N synthetic documents with pooled
embeddings, then profile ``Retriever.search`` for a restricted and an admin principal.

    .venv/bin/python -m benchmarks.profile_search --docs 17000 --work /tmp/freshkb-prof

Prints the per-principal mean latency with the query embedding excluded and included, and a
pyinstrument profile of the restricted principal's searches (pyinstrument is in the dev extra).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.embedders import CachedEmbedder, EmbeddingCache
from benchmarks.synth import bench_config, generate, queries
from kb.config import settings_from_dict
from kb.embedding import load_embedder
from kb.records import Principal
from kb.runtime import Runtime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshkb-prof"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/freshkb-bench/embed-cache.sqlite"))
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    work = args.work / f"d{args.docs}"
    settings = settings_from_dict(bench_config(work / "data"))
    model = load_embedder(settings.model)
    embedder = CachedEmbedder(model, EmbeddingCache(args.cache), "pooled")
    rt = Runtime(settings, embedder=embedder)
    if not (work / "built").exists():
        from kb.ingest import Ingester

        export = generate(work / "export.zip", args.docs)
        started = time.perf_counter()
        report = Ingester(rt).ingest("notion", export.path)
        print(
            f"built {len(report.added)} docs, {report.chunks_embedded} chunks in "
            f"{time.perf_counter() - started:.1f}s"
        )
        (work / "built").write_text(json.dumps({"chunks": report.chunks_embedded}))
    print(f"index: {rt.index.count()} chunks")
    qs = queries(args.n, seed=2)
    principals = {
        "restricted": Principal(user="eng-1@acme.test"),
        "security": Principal(user="sec-1@acme.test", groups=frozenset({"security"})),
        "admin": Principal(user="admin@acme.test", admin=True),
    }
    retriever = rt.retriever
    for p in principals.values():
        retriever.search("warm up", p)
    vectors = {q: model.embed_query(q) for q in qs}
    rt.__dict__["embedder"] = _Precomputed(vectors, model)  # search without the model
    for name, p in principals.items():
        times = []
        for q in qs:
            started = time.perf_counter()
            retriever.search(q, p)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{name}: search without query embedding p50 {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms"
        )
    try:
        from pyinstrument import Profiler
    except ImportError:
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for q in qs:
        retriever.search(q, principals["restricted"])
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


class _Precomputed:
    def __init__(self, vectors: dict[str, list[float]], inner: object) -> None:
        self.vectors, self.inner = vectors, inner
        self.dimension, self.name = 384, "precomputed"

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]


if __name__ == "__main__":
    main()
