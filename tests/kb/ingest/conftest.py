"""Fixtures of the ingest tests."""

from __future__ import annotations

import pytest

from kb.search.embedding import Embedder


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed for documents."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.dimension, self.name, self.symmetric = real.dimension, real.name, real.symmetric
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.real.embed(texts)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self.real.embed_queries(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


@pytest.fixture
def counting(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)
