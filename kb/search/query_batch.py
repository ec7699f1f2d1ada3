"""Query embeddings: an LRU cache of repeated questions, and concurrent ones coalesced into one
batched model call.

The API runs searches in a thread pool, and the model encodes one call at a time per process
(``kb.search.embedding``), so under N concurrent searches the query embeddings queue behind each other:
N forward passes of batch 1. ``QueryBatcher`` lets whoever finds the model free take *every*
query waiting at that moment and embed them in one call, which on CPU costs little more than one.
There is no timer: an idle service embeds a lone query immediately, exactly as before.

``QueryCache`` keeps the last ``model.query_cache_size`` query vectors by (model, question with
whitespace folded and Unicode NFC): a repeated question (the web page's retry, an ask after a
search, the answerer after the retriever) costs a dictionary lookup instead of ~8 ms of model.
The cached text is what was embedded, so a hit returns exactly the vector a miss would compute.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kb.search.embedding import Embedder


@dataclass
class _Request:
    text: str
    vector: list[float] | None = None
    error: BaseException | None = None
    done: bool = False


def normalise_query(text: str) -> str:
    """The question as embedded and cached: NFC, whitespace folded."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class QueryCache:
    """A thread-safe LRU of query vectors keyed by (model, normalised question); size 0 is off."""

    def __init__(self, size: int, model: str = "") -> None:
        self.size = size
        self.model = model
        self._items: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, text: str) -> list[float] | None:
        if self.size <= 0:
            return None
        key = (self.model, text)
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._items.move_to_end(key)
            return found

    def put(self, text: str, vector: list[float]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[(self.model, text)] = vector
            self._items.move_to_end((self.model, text))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class QueryBatcher:
    """``embed_query`` with a cache and opportunistic batching; ``embedder()`` gives the (lazily
    loaded) model."""

    def __init__(
        self, embedder: Callable[[], Embedder], max_batch: int = 64, cache: QueryCache | None = None
    ) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._busy = False
        self.cache = cache if cache is not None else QueryCache(0)
        self.calls = 0  # model calls made, for tests and the benchmark

    def embed_query(self, text: str) -> list[float]:
        text = normalise_query(text)
        cached = self.cache.get(text)
        if cached is not None:
            return cached
        vector = self._batched(text)
        self.cache.put(text, vector)
        return vector

    def _batched(self, text: str) -> list[float]:
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
