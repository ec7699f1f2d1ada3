"""QueryBatcher: concurrent query embeddings share one model call and get the model's vectors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kb.errors import StoreError
from kb.search.embedding import SentenceTransformerEmbedder
from kb.search.query_batch import QueryBatcher


class _Gated(SentenceTransformerEmbedder):
    """The real embedder (its ``embed_queries`` is ``embed``), with its calls held until the test
    opens the gate."""

    def __init__(self, inner, fail_on: str | None = None) -> None:  # type: ignore[no-untyped-def]
        # No super().__init__: the model is the session's, already loaded in ``inner``.
        self.inner, self.fail_on = inner, fail_on
        self.dimension, self.name = inner.dimension, inner.name
        self.gate, self.entered = threading.Event(), threading.Event()
        self.batches: list[list[str]] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.entered.set()
        self.gate.wait(30)
        self.batches.append(list(texts))
        if self.fail_on in texts:
            raise StoreError("model failed", subject="test")
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


def _wait_pending(batcher: QueryBatcher, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(batcher._pending) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(batcher._pending) == n


def _run(batcher: QueryBatcher, texts: list[str]) -> tuple[list[threading.Thread], dict[str, object]]:
    results: dict[str, object] = {}

    def call(t: str) -> None:
        try:
            results[t] = batcher.embed_query(t)
        except StoreError as err:
            results[t] = err

    threads = [threading.Thread(target=call, args=(t,)) for t in texts]
    return threads, results


@pytest.mark.slow
def test_queries_waiting_for_the_model_are_embedded_in_one_call(embedder) -> None:  # type: ignore[no-untyped-def]
    gated = _Gated(embedder)
    batcher = QueryBatcher(lambda: gated)
    texts = [f"how do I rotate the {n} credential" for n in ("vault", "db", "s3", "vpn", "sso", "ci")]
    threads, results = _run(batcher, texts)
    threads[0].start()
    assert gated.entered.wait(10)  # the first query holds the model
    for t in threads[1:]:
        t.start()
    _wait_pending(batcher, len(texts) - 1)
    gated.gate.set()
    for t in threads:
        t.join(30)
    assert batcher.calls == 2
    assert sorted(map(len, gated.batches)) == [1, len(texts) - 1]
    for text in texts:
        assert np.allclose(results[text], embedder.embed_query(text), atol=1e-5)


@pytest.mark.slow
def test_a_failed_batch_raises_in_every_caller_and_the_next_query_works(embedder) -> None:  # type: ignore[no-untyped-def]
    gated = _Gated(embedder, fail_on="bad")
    batcher = QueryBatcher(lambda: gated)
    threads, results = _run(batcher, ["first", "bad", "other"])
    threads[0].start()
    assert gated.entered.wait(10)
    threads[1].start()
    threads[2].start()
    _wait_pending(batcher, 2)
    gated.gate.set()
    for t in threads:
        t.join(30)
    assert isinstance(results["bad"], StoreError) and isinstance(results["other"], StoreError)
    assert not isinstance(results["first"], StoreError)
    assert np.allclose(batcher.embed_query("after"), embedder.embed_query("after"), atol=1e-5)
