"""The extractive answerer's candidate sentences, embedded at ingest.

Each group's model call embeds the chunks and, after them, the texts the answerer would embed
for their sentences (``kb.answer.extractive.stored_sentence_texts``); the sentence vectors are
stored once the chunks are committed (``kb.store.sentence_vectors``), so ``POST /v1/ask`` looks
them up instead of embedding them (``kb.answer.precomputed``). The model sorts a call's texts by
length, so the short sentences pad little: on the example data (267 chunks) the ingest embeds
~770 sentences besides the chunks.

``backfill`` fills chunks that have none (a store written before sentence vectors existed, a
restored document, a run killed between the chunk commit and the sentence write).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kb.answer.extractive import stored_sentence_texts
from kb.records import Chunk
from kb.store.documents import DocumentStore
from kb.store.sentence_vectors import SentenceRow, SentenceVectors

Embed = Callable[[list[str]], list[list[float]]]


def sentence_texts(chunk: Chunk, title: str) -> list[str]:
    """What the answerer embeds for this stored chunk's sentences."""
    return stored_sentence_texts(chunk.heading, chunk.text, title)


def sentence_rows(
    chunks: Sequence[tuple[Chunk, list[str]]], vectors: Sequence[Sequence[float]]
) -> list[SentenceRow]:
    """The rows to store: each chunk's texts paired with ``vectors`` (in order, chunk after chunk)."""
    texts = [(c.chunk_id, t) for c, ts in chunks for t in ts]
    if len(texts) != len(vectors):
        raise ValueError(f"{len(texts)} sentence texts but {len(vectors)} vectors")
    return [SentenceRow(cid, t, v) for (cid, t), v in zip(texts, vectors, strict=True)]


def backfill(documents: DocumentStore, store: SentenceVectors, model: str, embed: Embed, group: int) -> int:
    """Embed and store the sentences of chunks without any for ``model``, ``group`` chunks per
    model call; returns the chunks filled. An up-to-date store costs one query."""
    missing = set(store.missing(model))
    todo: list[tuple[Chunk, list[str]]] = []
    for doc_id in sorted({cid.rsplit("#", 1)[0] for cid in missing}):
        doc = documents.get(doc_id, with_text=False)
        if doc is None:
            continue
        for c in documents.chunks_for(doc_id):
            texts = sentence_texts(c, doc.title)
            if c.chunk_id in missing and texts:  # a chunk without sentences has nothing to store
                todo.append((c, texts))
    for start in range(0, len(todo), group):
        part = todo[start : start + group]
        store.put(model, sentence_rows(part, embed([t for _, ts in part for t in ts])))
    return len(todo)
