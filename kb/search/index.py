"""The vector index: the ``VectorIndex`` protocol the rest of FreshKB codes against, and
``ChromaIndex``, a Chroma collection (embedded, or a ``chroma run`` server) behind llama-index's
``ChromaVectorStore``.

Vectors are always computed by FreshKB's embedder and passed in; the collection is created with
no embedding function, so Chroma's default model is never downloaded or used. Records are written
in llama-index's node format (``_node_content``, ``document_id``), so ``self.vector_store`` works
with llama-index retrievers too. Writes and similarity queries go to the collection directly:
``ChromaVectorStore.add`` inserts only (an existing id is not overwritten, and deterministic chunk
ids need upserts), and its similarity is ``exp(-distance)`` while ``ChunkHit.score`` is the cosine
similarity ``1 - distance``.

Embedded Chroma keeps each collection's HNSW index in memory as it was when the process opened
it. After another process (a ``kb ingest`` beside a running ``kb serve``) writes, reads of vectors
fail with "Error finding id" for the new ids, and queries silently miss them. ``refresh()``
re-opens the embedded client (a new Chroma ``System``, so the index is read from disk again); the
dense index calls it when the store's generation changes, and a read that fails is retried once
on a re-opened client. A ``chroma run`` server serves every process one index and needs neither.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore

from kb.config import Settings
from kb.errors import ConfigError, StoreError
from kb.identity import normalize_email
from kb.records import Chunk

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: str
    doc_id: str
    score: float  # cosine similarity, higher is better


@dataclass(frozen=True)
class VectorPage:
    """One page of stored vectors: chunk ids and their embeddings, nothing else."""

    chunk_ids: list[str]
    embeddings: np.ndarray  # float32, shape (len(chunk_ids), dimension), as stored


class VectorIndex(Protocol):
    """Chunk vectors by chunk id, with each chunk's ``doc_id`` and ``acl_key``."""

    location: str  # names the index in errors

    def upsert(self, chunks: list[Chunk], embeddings: list[list[float]]) -> None: ...
    def delete_chunks(self, chunk_ids: Iterable[str]) -> None: ...
    def delete_docs(self, doc_ids: Iterable[str]) -> None: ...
    def chunk_ids(self) -> set[str]: ...
    def chunk_ids_for(self, doc_id: str) -> set[str]: ...
    def update_acl(self, doc_id: str, acl: Iterable[str]) -> int:
        """Change a document's ``acl_key`` in place; returns the chunks updated."""
        ...

    def query(self, embedding: list[float], k: int, acl_keys: list[str] | None = None) -> list[ChunkHit]:
        """The ``k`` nearest chunks by cosine similarity; with ``acl_keys``, only those keys."""
        ...

    def vectors(self, page_size: int | None = None) -> Iterator[VectorPage]: ...
    def metadata(self, chunk_id: str) -> dict[str, Any] | None: ...
    def count(self) -> int: ...
    def stored(self, chunk_ids: Iterable[str]) -> dict[str, tuple[list[float], dict[str, Any]]]:
        """Vector and metadata of each of ``chunk_ids`` that is stored (tombstones keep them)."""
        ...

    def vectors_of(self, chunk_ids: Iterable[str]) -> VectorPage:
        """The vectors of those of ``chunk_ids`` that are stored, without metadata (the dense
        matrix's update after an ingest)."""
        ...

    def refresh(self, if_epoch: int | None = None) -> None:
        """See what another process wrote since this index was opened (a no-op where reads are live)."""
        ...


def acl_key(acl: Iterable[str]) -> str:
    """Stable key of an ACL set: lets a query filter to the ACL sets a principal can read."""
    joined = "\n".join(sorted({normalize_email(a) for a in acl}))
    return hashlib.sha1(joined.encode()).hexdigest()[:16]


def _guard(fn: Callable[P, R]) -> Callable[P, R]:
    """Any failure of Chroma (server down, corrupt data) becomes a StoreError naming the index."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as err:
            where = args[0].location if args and isinstance(args[0], ChromaIndex) else "chroma"
            raise StoreError(f"vector index failed: {type(err).__name__}: {err}", subject=where) from err

    return wrapper


def _read(fn: Callable[P, R]) -> Callable[P, R]:
    """A read: on an embedded client that fails (stale after another process wrote), re-open
    the client once and retry; then as ``_guard``."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        index = args[0]
        assert isinstance(index, ChromaIndex)
        epoch = index.epoch
        try:
            return fn(*args, **kwargs)
        except Exception:
            if not index.embedded:
                raise
        index.refresh(if_epoch=epoch)
        return fn(*args, **kwargs)

    return _guard(wrapper)


def _forget_system(client: Any) -> None:
    """Drop Chroma's process-wide cache entry for ``client``'s ``System``, so the next client for
    the same path opens a new one (reading the index from disk) instead of sharing the stale one.
    Clients still holding the old one keep working on it until they are dropped."""
    from chromadb.api.shared_system_client import SharedSystemClient

    identifier = getattr(client, "_identifier", None)
    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(identifier, None)  # type: ignore[arg-type]
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)  # type: ignore[arg-type]


def _client(settings: Settings) -> tuple[Any, str]:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.index.chroma_url.strip()
    if not url:
        path = settings.chroma_path
        try:
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings), str(path)
        except Exception as err:
            raise StoreError(f"cannot open embedded Chroma: {err}", subject=str(path)) from err
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError("expected http(s)://host:port", subject=f"index.chroma_url={url!r}")
    ssl = parsed.scheme == "https"
    port = parsed.port or (443 if ssl else 8000)
    try:
        client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=chroma_settings)
        client.heartbeat()
    except Exception as err:
        raise StoreError(f"cannot reach Chroma server: {err}", subject=url) from err
    return client, url


def _with_acl_key(meta: Any, key: str) -> dict[str, Any]:
    """``meta`` with a new acl_key, also inside llama-index's ``_node_content`` copy."""
    out = dict(meta)
    out["acl_key"] = key
    if "_node_content" in out:
        node = json.loads(str(out["_node_content"]))
        node.setdefault("metadata", {})["acl_key"] = key
        out["_node_content"] = json.dumps(node, ensure_ascii=False)
    return out


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ChromaIndex:
    """``VectorIndex`` over one Chroma collection."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.embedded = not settings.index.chroma_url.strip()
        self.epoch = 0  # bumped by every refresh
        self._reopen = threading.Lock()
        self._client, self.location = _client(settings)
        self._open(settings.index.collection)

    def refresh(self, if_epoch: int | None = None) -> None:
        """Re-open an embedded collection so it sees what other processes wrote (a no-op for a
        server). With ``if_epoch``, only if nobody refreshed since that epoch (concurrent readers
        that failed together re-open once)."""
        if not self.embedded:
            return
        with self._reopen:
            if if_epoch is not None and if_epoch != self.epoch:
                return
            _forget_system(self._client)
            self._client, _ = _client(self._settings)
            self._open(self._settings.index.collection)
            self.epoch += 1

    @_guard
    def _open(self, name: str) -> None:
        self._collection = self._client.get_or_create_collection(
            name=name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        self.vector_store = ChromaVectorStore(chroma_collection=self._collection)
        self._max_batch = int(self._client.get_max_batch_size())

    @staticmethod
    def _metadata(chunk: Chunk) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "title": "",
            "source": "",
            "acl_key": "",
            **chunk.metadata,
            "doc_id": chunk.doc_id,
            "index": chunk.index,
            "heading": chunk.heading,
        }
        node = TextNode(
            id_=chunk.chunk_id,
            text=chunk.text,
            metadata=meta,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.doc_id)},
            excluded_embed_metadata_keys=list(meta),
            excluded_llm_metadata_keys=list(meta),
        )
        return node_to_metadata_dict(node, remove_text=True, flat_metadata=True)

    @_guard
    def upsert(self, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        """Write chunks (metadata ``title``/``source``/``acl_key`` from ``chunk.metadata``)."""
        if len(chunks) != len(embeddings):
            raise StoreError(f"{len(chunks)} chunks but {len(embeddings)} embeddings", subject=self.location)
        pairs = list(zip(chunks, embeddings, strict=True))
        for batch in _batches(pairs, self._max_batch):
            self._collection.upsert(
                ids=[c.chunk_id for c, _ in batch],
                embeddings=[e for _, e in batch],
                metadatas=[self._metadata(c) for c, _ in batch],
                documents=[c.text for c, _ in batch],
            )

    @_guard
    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        ids = sorted(set(chunk_ids))
        for batch in _batches(ids, self._max_batch):  # never delete(ids=[]): that is not a no-op
            self.vector_store.delete_nodes(node_ids=batch)

    @_guard
    def delete_docs(self, doc_ids: Iterable[str]) -> None:
        for doc_id in sorted(set(doc_ids)):
            self.vector_store.delete(ref_doc_id=doc_id)

    def _ids_where(self, where: dict[str, Any] | None) -> list[str]:
        ids: list[str] = []
        offset = 0
        while True:
            page = self._collection.get(where=where, include=[], limit=self._max_batch, offset=offset)
            ids.extend(page["ids"])
            if len(page["ids"]) < self._max_batch:
                return ids
            offset += self._max_batch

    @_read
    def chunk_ids(self) -> set[str]:
        return set(self._ids_where(None))

    @_read
    def chunk_ids_for(self, doc_id: str) -> set[str]:
        return set(self._ids_where({"doc_id": doc_id}))

    @_guard
    def update_acl(self, doc_id: str, acl: Iterable[str]) -> int:
        """Change a document's ``acl_key`` in place (no re-embedding); returns chunks updated."""
        key = acl_key(acl)
        ids = self._ids_where({"doc_id": doc_id})
        for batch in _batches(ids, self._max_batch):
            got = self._collection.get(ids=batch, include=["metadatas"])
            metas = [_with_acl_key(m, key) for m in got["metadatas"]]
            self._collection.update(ids=got["ids"], metadatas=metas)
        return len(ids)

    @_read
    def query(self, embedding: list[float], k: int, acl_keys: list[str] | None = None) -> list[ChunkHit]:
        """The ``k`` nearest chunks; with ``acl_keys``, only chunks whose ACL key is listed."""
        if k <= 0 or acl_keys == []:
            return []
        kwargs: dict[str, Any] = {
            "query_embeddings": [embedding],
            "n_results": k,
            "include": ["distances", "metadatas"],
        }
        if acl_keys is not None:
            kwargs["where"] = {"acl_key": {"$in": list(acl_keys)}}
        res = self._collection.query(**kwargs)
        return [
            ChunkHit(chunk_id=cid, doc_id=str(meta["doc_id"]), score=1.0 - float(dist))
            for cid, meta, dist in zip(res["ids"][0], res["metadatas"][0], res["distances"][0], strict=True)
        ]

    @_read
    def _vector_page(self, offset: int, limit: int) -> VectorPage:
        got = self._collection.get(include=["embeddings"], limit=limit, offset=offset)
        if not got["ids"]:
            return VectorPage(chunk_ids=[], embeddings=np.empty((0, 0), dtype=np.float32))
        return VectorPage(
            chunk_ids=list(got["ids"]), embeddings=np.asarray(got["embeddings"], dtype=np.float32)
        )

    def vectors(self, page_size: int | None = None) -> Iterator[VectorPage]:
        """Every stored vector, in pages of ``page_size`` (default: Chroma's max batch size).

        Without metadata: at 51k chunks, adding ``metadatas`` doubled the time (2.5 s -> 6.3 s)
        and left +250 MB more RSS; a chunk's document and ACL are the store's to say anyway.
        Paged by offset: a write while paging can shift rows, so callers that need a
        consistent snapshot compare ``count()`` before and after."""
        size = page_size or self._max_batch
        offset = 0
        while True:
            page = self._vector_page(offset, size)
            if page.chunk_ids:
                yield page
            if len(page.chunk_ids) < size:
                return
            offset += size

    @_read
    def vectors_of(self, chunk_ids: Iterable[str]) -> VectorPage:
        ids: list[str] = []
        parts: list[np.ndarray] = []
        for batch in _batches(sorted(set(chunk_ids)), self._max_batch):
            got = self._collection.get(ids=batch, include=["embeddings"])
            if got["ids"]:
                ids += got["ids"]
                parts.append(np.asarray(got["embeddings"], dtype=np.float32))
        if not ids:
            return VectorPage(chunk_ids=[], embeddings=np.empty((0, 0), dtype=np.float32))
        return VectorPage(chunk_ids=ids, embeddings=np.concatenate(parts))

    @_read
    def stored(self, chunk_ids: Iterable[str]) -> dict[str, tuple[list[float], dict[str, Any]]]:
        """chunk id -> (vector, metadata) for those of ``chunk_ids`` the index holds."""
        out: dict[str, tuple[list[float], dict[str, Any]]] = {}
        for batch in _batches(sorted(set(chunk_ids)), self._max_batch):
            got = self._collection.get(ids=batch, include=["embeddings", "metadatas"])
            for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True):
                out[cid] = ([float(x) for x in vec], dict(meta or {}))
        return out

    @_read
    def metadata(self, chunk_id: str) -> dict[str, Any] | None:
        res = self._collection.get(ids=[chunk_id], include=["metadatas"])
        return dict(res["metadatas"][0]) if res["ids"] else None

    @_read
    def count(self) -> int:
        return int(self._collection.count())
