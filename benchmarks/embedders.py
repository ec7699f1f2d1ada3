"""Embedders for the benchmarks: timing, an on-disk cache keyed by text hash, and pooled vectors.

The real model embeds ~15-50 chunks/s on this 2-core machine, so a 50k-chunk index would take
most of an hour per build. ``CachedEmbedder(mode="real")`` always runs the model (it is what is
measured) and keeps every embedding in SQLite, keyed by sha256 of the exact text embedded; the
chunks of document ``i`` are identical in every export size (see ``synth``).

``mode="pooled"`` is for the scale sizes only, and is reported as such: a text whose real
embedding is cached gets it; any other text gets a *real* cached vector chosen by its hash plus
small noise (cosine ~0.9 to it), normalised. The index then holds realistically distributed,
distinct vectors for every chunk, so Chroma/HNSW, BM25, SQLite and the service do exactly the work
they do at that size; only the dense ranking of the pooled chunks is not meaningful (quality is
measured by evals/, not here). Query embeddings are never cached or pooled: they are part of the
latency being measured.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Literal

import numpy as np

from kb.search.embedding import Embedder

Mode = Literal["real", "pooled"]
NOISE = 0.035  # per-dimension std of the noise (384 dims): cosine ~0.9 to the pool vector


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class EmbeddingCache:
    """sha256(text) -> float32 vector, in one SQLite file (safe across processes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=60, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB NOT NULL)")
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                for k, blob in self._conn.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part):
                    out[k] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vec (key, v) VALUES (?, ?)",
                [(k, v.astype(np.float32).tobytes()) for k, v in items.items()],
            )

    def pool(self, limit: int = 20000) -> np.ndarray:
        with self._lock:
            rows = self._conn.execute("SELECT v FROM vec ORDER BY key LIMIT ?", (limit,)).fetchall()
        return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows]) if rows else np.empty((0, 0))

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM vec").fetchone()[0])


class CachedEmbedder:
    """Wraps the real embedder: cached real vectors, else the model ("real") or a pooled vector."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache, mode: Mode = "real") -> None:
        self.inner, self.cache, self.mode = inner, cache, mode
        self.dimension, self.name, self.symmetric = inner.dimension, inner.name, inner.symmetric
        self.hits = self.computed = self.pooled = 0
        self._pool: np.ndarray | None = None

    def embed(self, texts: list[str]) -> list[list[float]]:
        keys = [text_key(t) for t in texts]
        # "real" always runs the model (it is what is measured) and only fills the cache.
        found = self.cache.get_many(keys) if self.mode == "pooled" else {}
        self.hits += sum(1 for k in keys if k in found)
        missing = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in found]
        if missing and self.mode == "real":
            uniq = dict(missing)
            vecs = self.inner.embed(list(uniq.values()))
            new = {k: np.asarray(v, dtype=np.float32) for k, v in zip(uniq, vecs, strict=True)}
            self.cache.put_many(new)
            found.update(new)
            self.computed += len(new)
        elif missing:
            found.update({k: self._pooled(k) for k, _ in missing})
            self.pooled += len(missing)
        return [found[k].tolist() for k in keys]

    def _pooled(self, key: str) -> np.ndarray:
        if self._pool is None:
            self._pool = self.cache.pool()
            if not len(self._pool):
                raise RuntimeError(
                    "pooled embeddings need a cache with real vectors: run a "
                    "smaller size with real embeddings first"
                )
        rng = np.random.default_rng(int(key[:16], 16))
        base = self._pool[int(key[16:24], 16) % len(self._pool)]
        v = base + rng.normal(0.0, NOISE, size=base.shape).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_queries(texts)


class TimedEmbedder:
    """Counts the seconds spent inside ``embed`` (the pipeline's embedding share)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dimension, self.name, self.symmetric = inner.dimension, inner.name, inner.symmetric
        self.seconds = 0.0
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts.extend(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_queries(texts)
