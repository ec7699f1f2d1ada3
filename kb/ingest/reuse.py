"""Vectors of unchanged chunks, reused when a stored document's text changes.

A document whose title or text changed is re-chunked, and each of its chunks used to be embedded
again, even the ones whose text did not change: one edited paragraph re-embedded a whole page, and
so did any byte the export and a pull write differently (``ingestors.notion_markdown``). A vector
is a function of the model and the text embedded (``kb.ingest.chunking.embedding_text``: title,
heading path, chunk text), so a new chunk whose embedded text equals one of the document's stored
chunks takes that chunk's vector from the index instead, and its sentences' vectors
(``kb.store.sentence_vectors``, keyed by text) from the store.

Safe because the stored vectors are only reused when they were made by the current embedding
(``current(stored_doc)``: the stored content hash is the one the current model and chunking give
its stored title and text; after a model or chunking change it is not, and everything is embedded
again). Only the document's own stored chunks are candidates: they are about to be replaced, and
read before the write that replaces them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kb.ingest.chunking import embedding_text
from kb.records import Chunk, Document
from kb.search.index import VectorIndex
from kb.store.documents import DocumentStore


def reusable_vectors(
    changed: Iterable[tuple[Document, list[Chunk]]],
    documents: DocumentStore,
    index: VectorIndex,
    current: Callable[[Document], bool],
) -> dict[str, list[float]]:
    """New chunk id -> the stored vector of a chunk of the same document with the same embedded
    text, for the ``changed`` documents (new record, new chunks) that are stored."""
    wanted: dict[str, str] = {}  # new chunk id -> stored chunk id
    for doc, chunks in changed:
        old = documents.get(doc.doc_id)
        if old is None or not current(old):
            continue
        stored: dict[str, str] = {}
        for c in documents.chunks_for(doc.doc_id):
            titled = c.model_copy(update={"metadata": {"title": old.title}})
            stored.setdefault(embedding_text(titled), c.chunk_id)
        for c in chunks:
            same = stored.get(embedding_text(c))
            if same is not None:
                wanted[c.chunk_id] = same
    if not wanted:
        return {}
    held = index.stored(wanted.values())
    return {new: held[old][0] for new, old in wanted.items() if old in held}
