"""Where a serving process's memory goes: RSS after each component a search loads, in the order
a first request loads them, on an index built by ``benchmarks.scale_index``.

    .venv/bin/python -m benchmarks.serve_memory --docs 17000 --work /tmp/freshkb-scale [--tracemalloc]

Phases: imports, document map, Chroma client, the model (one query embedding), BM25 for an
admin (all chunks), BM25 for two restricted reader sets, the dense index, then searches for
three principals. ``--tracemalloc`` also reports Python-allocated bytes per phase (slower).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psutil

from benchmarks.scale_index import scale_settings
from benchmarks.synth import queries
from kb.records import Principal
from kb.runtime import Runtime

PRINCIPALS = {
    "restricted": Principal(user="eng-1@acme.test"),
    "security": Principal(user="sec-1@acme.test", groups=frozenset({"security"})),
    "admin": Principal(user="admin@acme.test", admin=True),
}


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=17000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshkb-scale"))
    parser.add_argument("--chunk-size", type=int, default=400)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    rows: list[tuple[str, float, float, float]] = []
    last = rss_mb()
    rows.append(("imports (kb, chromadb not yet)", last, last, 0.0))

    def phase(name: str, fn: Callable[[], object]) -> None:
        nonlocal last
        before_py = tracemalloc.get_traced_memory()[0] if args.tracemalloc else 0
        started = time.perf_counter()
        fn()
        seconds = time.perf_counter() - started
        now = rss_mb()
        py = (tracemalloc.get_traced_memory()[0] - before_py) / 2**20 if args.tracemalloc else float("nan")
        rows.append((f"{name} ({seconds:.1f} s)", now, now - last, py))
        last = now

    rt = Runtime(scale_settings(args.work, args.docs, args.chunk_size or None))
    retriever = rt.retriever
    dm = None

    def docmap() -> None:
        nonlocal dm
        dm = retriever._docmap()

    def readable(p: Principal) -> set[str]:
        assert dm is not None
        return {d for acl, docs in dm.by_key.values() if p.can_read(acl) for d in docs}

    phase("document map", docmap)
    phase("Chroma client + count", lambda: rt.index.count())
    vector: list[float] = []

    def model() -> None:
        vector.extend(rt.embedder.embed_query("warm up the model"))

    phase("model + one query embedding", model)
    phase("BM25 full (admin)", lambda: retriever._lexical.scores("rollback service", 50, None))
    for name in ("restricted", "security"):
        allowed = readable(PRINCIPALS[name])
        phase(f"BM25 reader set {name}", partial(retriever._lexical.scores, "rollback", 50, allowed))
    dense = getattr(retriever, "_vectors", None)
    if dense is not None:
        phase("dense index (exact matrix)", lambda: dense.query(vector, 50, None))
    qs = queries(30, seed=3)

    def searches() -> None:
        for q in qs:
            for p in PRINCIPALS.values():
                retriever.search(q, p)

    phase(f"{len(qs) * len(PRINCIPALS)} searches", searches)
    print(f"index: {rt.index.count()} chunks, {len(dm.docs) if dm else 0} documents")
    print(f"{'phase':48} {'RSS MB':>8} {'delta':>8} {'py MB':>8}")
    for name, total, delta, py in rows:
        print(f"{name:48} {total:8.0f} {delta:+8.0f} {py:8.1f}")
    print(f"peak RSS (VmHWM): {_hwm_mb():.0f} MB")


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
