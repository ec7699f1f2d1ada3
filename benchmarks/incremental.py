"""The first search after an ingest that changes 1% of the documents: caches updated in place
(``DocumentStore.changed``: the dense matrix and the BM25 postings replace only the changed
documents' rows) against the full reload/rebuild they did before.

    .venv/bin/python -m benchmarks.incremental --docs 17000 --work /tmp/freshkb-scale

Builds (or reuses) the pooled index of ``benchmarks.scale_index``, opens two retrievers over it
and warms both (document map, BM25, dense matrix, query vector), one updating in place and one
forced to rebuild (``PATCH_MAX_SHARE = -1``), ingests the same export with every hundredth
document changed (pooled vectors: the store, Chroma, BM25 and the matrix do exactly the work of
a real 1% ingest), then times each retriever's first search (the question's vector is cached, so
the time is the caches' update plus the search) and a second one. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from benchmarks.embedders import CachedEmbedder, EmbeddingCache
from benchmarks.scale_index import build, scale_settings
from benchmarks.serve_memory import PRINCIPALS
from benchmarks.synth import generate
from kb.runtime import Runtime
from kb.search.embedding import load_embedder
from kb.search.retrieval import Retriever

QUESTION = "how do I roll back the payments deploy"


def _timed_search(retriever: Retriever) -> float:
    started = time.perf_counter()
    retriever.search(QUESTION, PRINCIPALS["restricted"])
    return round((time.perf_counter() - started) * 1000, 1)


def _forced_rebuild(retriever: Retriever) -> Retriever:
    retriever._vectors.PATCH_MAX_SHARE = -1.0
    retriever._lexical.PATCH_MAX_SHARE = -1.0
    return retriever


def run(work: Path, docs: int, *, profile: bool = False) -> dict[str, object]:
    build(work, docs)
    settings = scale_settings(work, docs)
    model = load_embedder(settings.model)
    rt = Runtime(
        settings, embedder=CachedEmbedder(model, EmbeddingCache(work / "embed-cache.sqlite"), "pooled")
    )
    incremental = rt.retriever_for(settings.retrieval)
    rebuild = _forced_rebuild(rt.retriever_for(settings.retrieval))
    warm = {"incremental_ms": _timed_search(incremental), "rebuild_ms": _timed_search(rebuild)}
    export = generate(work / f"d{docs}" / "export-1pct.zip", docs, changed_every=100)
    started = time.perf_counter()
    report = rt.ingester().ingest("notion", export.path)
    ingest_s = round(time.perf_counter() - started, 1)
    if profile:  # where the first search after the ingest goes (pyinstrument, the dev extra)
        from pyinstrument import Profiler

        with Profiler() as profiler:
            first_inc = _timed_search(incremental)
        print(profiler.output_text(color=False, show_all=False))
    else:
        first_inc = _timed_search(incremental)
    first_reb = _timed_search(rebuild)
    out = {
        "docs": docs,
        "chunks": rt.index.count(),
        "changed_docs": len(report.updated),
        "chunks_embedded": report.chunks_embedded,
        "ingest_s": ingest_s,
        "warm_first_search_ms": warm,
        "first_search_after_ingest_ms": {"incremental": first_inc, "rebuild": first_reb},
        "second_search_ms": {"incremental": _timed_search(incremental), "rebuild": _timed_search(rebuild)},
        "incremental": {
            "dense_loads": incremental._vectors.loads,
            "dense_patches": incremental._vectors.patches,
            "bm25_builds": incremental._lexical.builds,
            "bm25_patches": incremental._lexical.patches,
        },
        "loadavg_1m": round(os.getloadavg()[0], 1),
    }
    rt.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=17000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshkb-scale"))
    parser.add_argument("--profile", action="store_true", help="profile the first incremental search")
    parser.add_argument(
        "--keep", action="store_true", help="keep the changed index (default: rebuilt next run)"
    )
    args = parser.parse_args()
    print(json.dumps(run(args.work, args.docs, profile=args.profile)))
    if not args.keep:  # the 1% ingest changed the built index: the next run builds it again
        shutil.rmtree(args.work / f"d{args.docs}")


if __name__ == "__main__":
    main()
