"""Wiring: build FreshKB's components from one ``Settings``, lazily.

The CLI and the API both work through a ``Runtime``; the embedding model and Chroma are opened
on first use only, once per process.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from kb.clock import Clock, SystemClock
from kb.config import RetrievalSettings, Settings
from kb.identity import People
from kb.store.db import Database, open_database
from kb.store.documents import DocumentStore

if TYPE_CHECKING:
    from kb.search.embedding import Embedder
    from kb.search.index import VectorIndex
    from kb.search.retrieval import Retriever


class Runtime:
    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        if embedder is not None:
            self.__dict__["embedder"] = embedder

    @cached_property
    def db(self) -> Database:
        return open_database(self.settings)

    @cached_property
    def documents(self) -> DocumentStore:
        return DocumentStore(self.db)

    @cached_property
    def people(self) -> People:
        return People(self.settings.people)

    @cached_property
    def embedder(self) -> Embedder:
        from kb.search.embedding import load_embedder

        return load_embedder(self.settings.model)

    @cached_property
    def index(self) -> VectorIndex:
        from kb.search.index import VectorIndex

        return VectorIndex(self.settings)

    @cached_property
    def retriever(self) -> Retriever:
        return self.retriever_for(None)

    def retriever_for(self, retrieval: RetrievalSettings | None) -> Retriever:
        """A retriever over this runtime's store and index; ``retrieval`` overrides the
        configured ``[retrieval]`` (the evals compare configurations this way)."""
        from kb.search.retrieval import Retriever
        from kb.store.reviews import ReviewStore

        return Retriever(
            self.settings,
            self.documents,
            ReviewStore(self.db),
            index=lambda: self.index,
            embedder=lambda: self.embedder,
            clock=self.clock,
            retrieval=retrieval,
        )

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
