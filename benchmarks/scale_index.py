"""Build (or reuse) a large synthetic index cheaply: pooled embeddings, the real pipeline.

    .venv/bin/python -m benchmarks.scale_index --docs 17000 --work /tmp/freshkb-scale

The first run embeds a small export (``--seed-docs``) with the real model to fill the embedding
cache that pooled vectors are drawn from (see ``benchmarks.embedders``), then ingests ``--docs``
synthetic documents through ``kb.ingest.pipeline.Ingester`` with pooled vectors: the store, Chroma and
BM25 hold exactly what an ingest of that size writes, only the dense ranking is not meaningful.
A built work directory is reused (marker file ``built``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.embedders import CachedEmbedder, EmbeddingCache
from benchmarks.synth import bench_config, generate
from kb.config import Settings, settings_from_dict
from kb.runtime import Runtime
from kb.search.embedding import Embedder, load_embedder


def scale_settings(work: Path, docs: int, chunk_size: int | None = None) -> Settings:
    raw: dict[str, Any] = bench_config(work / f"d{docs}" / "data")
    if chunk_size:
        raw["index"] = {"chunk_size": chunk_size, "chunk_overlap": min(40, chunk_size // 10)}
    return settings_from_dict(raw)


def build(work: Path, docs: int, *, chunk_size: int | None = None, seed_docs: int = 150) -> Path:
    """Ingest ``docs`` synthetic documents into ``work/d<docs>/data`` unless already built."""
    marker = work / f"d{docs}" / "built"
    if marker.exists():
        return marker
    settings = scale_settings(work, docs, chunk_size)
    model: Embedder = load_embedder(settings.model)
    cache = EmbeddingCache(work / "embed-cache.sqlite")
    if cache.count() < 100:
        seed = scale_settings(work / "seed", seed_docs, chunk_size)
        export = generate(work / "seed" / "export.zip", seed_docs)
        Runtime(seed, embedder=CachedEmbedder(model, cache, "real")).ingester().ingest("notion", export.path)
        print(f"embedding cache: {cache.count()} real vectors")

    rt = Runtime(settings, embedder=CachedEmbedder(model, cache, "pooled"))
    export = generate(work / f"d{docs}" / "export.zip", docs)
    started = time.perf_counter()
    report = rt.ingester().ingest("notion", export.path)
    info = {
        "docs": len(report.added),
        "chunks": rt.index.count(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(f"built {info}")
    marker.write_text(json.dumps(info))
    rt.close()
    return marker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=17000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshkb-scale"))
    parser.add_argument("--chunk-size", type=int, default=0, help="index.chunk_size (0 = default)")
    parser.add_argument("--seed-docs", type=int, default=150, help="documents embedded for real")
    args = parser.parse_args()
    build(args.work, args.docs, chunk_size=args.chunk_size or None, seed_docs=args.seed_docs)


if __name__ == "__main__":
    main()
