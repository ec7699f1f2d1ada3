"""``PrecomputedSentences``: the extractive answerer's embedder at serving time, so
``POST /v1/ask`` embeds nothing beyond the question the search already embedded.

The ingest embeds what the answerer would embed for every stored chunk
(``kb.answer.extractive.stored_sentence_texts``) in the same model call as the chunk and stores
it (``kb.store.sentence_vectors``). This embedder answers ``embed`` from that store and sends only
the texts it does not hold to the model (a snippet no stored chunk matches, chunks stored before
sentence vectors existed), in one call; ``embed_query`` is the retriever's, which keeps the
question's vector from the search in its cache. It declares itself asymmetric, so the answerer
asks for the question and the sentences apart, and gets the question from that cache.

The answerer itself does not know: it is given an ``Embedder``, as before. On the example data
an answer made one model call over the question and up to 34 sentences (~200 ms on 2 cores); it
now makes none (docs/benchmarks.md has the numbers).
"""

from __future__ import annotations

from collections.abc import Callable

from kb.search.embedding import Embedder
from kb.store.sentence_vectors import SentenceVectors

__all__ = ["PrecomputedSentences"]


class PrecomputedSentences:
    symmetric = False  # the question comes from ``query`` (the search's cached vector), not ``embed``

    def __init__(
        self,
        store: SentenceVectors,
        model: str,
        embedder: Callable[[], Embedder],
        query: Callable[[str], list[float]],
    ) -> None:
        """``model`` is the name the ingest stored the vectors under (``model.name``);
        ``embedder`` a factory: an answer whose sentences are all stored never loads the model."""
        self.name = model
        self._store = store
        self._embedder = embedder
        self._query = query
        self.model_calls = 0  # calls that reached the model (tests and the benchmark count them)

    @property
    def dimension(self) -> int:
        return self._embedder().dimension

    @dimension.setter
    def dimension(self, value: int) -> None:  # the Embedder protocol declares a plain attribute
        raise AttributeError("the dimension is the model's")

    def embed(self, texts: list[str]) -> list[list[float]]:
        found = {t: v.tolist() for t, v in self._store.lookup(self.name, texts).items()}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            self.model_calls += 1
            found.update(zip(missing, self._embedder().embed(missing), strict=True))
        return [found[t] for t in texts]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return [self._query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._query(text)
