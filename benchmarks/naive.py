"""The naive baseline: plain llama-index ``VectorStoreIndex`` over Chroma, same model, nothing else.

What a first RAG prototype does: read the export (with the same Notion reader, so parsing costs
the same), split with llama-index's ``SentenceSplitter`` (same chunk size), embed through a
``BaseEmbedding`` adapter over the same sentence-transformers model and batch size, insert into a
Chroma collection. No rules, ACL, secrets, content-hash diffing, SQLite store, BM25 or
freshness; a re-ingest re-embeds everything. ``naive_app`` serves ``POST /v1/search`` with
``index.as_retriever`` so its latency is measured over the same HTTP stack as FreshKB's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import Document as LIDocument
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import BaseModel, PrivateAttr

from kb.config import Settings
from kb.search.embedding import Embedder

COLLECTION = "naive"


class Query(BaseModel):
    query: str
    top_k: int = 5


class KBEmbedding(BaseEmbedding):
    """llama-index adapter over a FreshKB embedder (the same model instance)."""

    _inner: Any = PrivateAttr()

    def __init__(self, inner: Embedder, batch_size: int) -> None:
        super().__init__(model_name=inner.name, embed_batch_size=batch_size)
        self._inner = inner

    def _get_query_embedding(self, query: str) -> list[float]:
        return list(self._inner.embed_query(query))

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return list(self._inner.embed([text])[0])

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._inner.embed(texts)


def _store(settings: Settings) -> ChromaVectorStore:
    path = settings.data_dir / "naive-chroma"
    path.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(
        COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    return ChromaVectorStore(chroma_collection=collection)


def naive_ingest(settings: Settings, export: Path, embedder: Embedder) -> dict[str, Any]:
    from ingestors.notion import NotionIngestor

    batch = NotionIngestor(settings).read(export)
    docs = [
        LIDocument(text=d.text, id_=d.doc_id, metadata={"title": d.title, "doc_id": d.doc_id})
        for d in batch.documents
    ]
    store = _store(settings)
    splitter = SentenceSplitter(
        chunk_size=settings.index.chunk_size, chunk_overlap=settings.index.chunk_overlap
    )
    index = VectorStoreIndex.from_documents(
        docs,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=KBEmbedding(embedder, settings.model.batch_size),
        transformations=[splitter],
        show_progress=False,
    )
    count = store._collection.count()
    del index
    return {"documents": len(docs), "chunks_embedded": count, "index_chunks": count}


def naive_app(settings: Settings) -> Any:
    from fastapi import FastAPI

    from kb.search.embedding import load_embedder

    index = VectorStoreIndex.from_vector_store(
        _store(settings), embed_model=KBEmbedding(load_embedder(settings.model), settings.model.batch_size)
    )

    app = FastAPI(title="naive baseline")

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/search")
    def search(body: Query) -> dict[str, Any]:
        nodes = index.as_retriever(similarity_top_k=body.top_k).retrieve(body.query)
        return {
            "results": [
                {
                    "doc_id": n.node.metadata.get("doc_id"),
                    "title": n.node.metadata.get("title"),
                    "score": n.score,
                    "snippet": n.node.get_content()[:600],
                }
                for n in nodes
            ]
        }

    index.as_retriever(similarity_top_k=1).retrieve("warm up")
    return app
