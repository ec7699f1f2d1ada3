"""Coalesce concurrent query embeddings into one batched model call.

The API runs searches in a thread pool, and the model encodes one call at a time per process
(``kb.search.embedding``), so under N concurrent searches the query embeddings queue behind each other:
N forward passes of batch 1. ``QueryBatcher`` lets whoever finds the model free take *every*
query waiting at that moment and embed them in one call, which on CPU costs little more than one.
There is no timer: an idle service embeds a lone query immediately, exactly as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from kb.search.embedding import Embedder


@dataclass
class _Request:
    text: str
    vector: list[float] | None = None
    error: BaseException | None = None
    done: bool = False


class QueryBatcher:
    """``embed_query`` with opportunistic batching; ``embedder()`` gives the (lazily loaded) model."""

    def __init__(self, embedder: Callable[[], Embedder], max_batch: int = 64) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._busy = False
        self.calls = 0  # model calls made, for tests and the benchmark

    def embed_query(self, text: str) -> list[float]:
        req = _Request(text)
        with self._cond:
            self._pending.append(req)
            while self._busy and not req.done:
                self._cond.wait()  # the running batch ends, then someone takes what is pending
            if not req.done:
                self._busy = True
                batch = self._pending[: self._max_batch]
                self._pending = self._pending[self._max_batch :]
        if not req.done:
            self._run(batch)
        if req.error is not None:
            raise req.error
        assert req.vector is not None
        return req.vector

    def _run(self, batch: list[_Request]) -> None:
        try:
            vectors = self._embed([r.text for r in batch])
            for r, v in zip(batch, vectors, strict=True):
                r.vector = v
        except BaseException as err:  # noqa: BLE001 - handed to every waiting caller
            for r in batch:
                r.error = err
        finally:
            with self._cond:
                self.calls += 1
                for r in batch:
                    r.done = True
                self._busy = False
                self._cond.notify_all()

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return self._embedder().embed_queries(texts)
