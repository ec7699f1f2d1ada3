"""Sentence vectors stored at ingest: an answer costs no model call beyond the search's question
embedding, answers as embedding every sentence per request did, and a store written without
them still answers and is backfilled by the next ingest."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kb.answer.extractive import extractive_answerer
from kb.answer.precomputed import PrecomputedSentences
from kb.clock import FixedClock
from kb.ingest.sentences import sentence_texts
from kb.records import Principal
from kb.runtime import Runtime
from kb.search.embedding import Embedder
from kb.store.sentence_vectors import SentenceVectors
from tests.conftest import EXAMPLE_NOW

pytestmark = pytest.mark.slow

QUESTIONS = [
    "How are invoices generated?",
    "How many weeks of parental leave do birthing parents get?",
    "How do I run the failover for postgres?",
    "Who approves production access?",
    "What is the on-call rotation?",
    "How do I request a new laptop?",
]
ADMIN = Principal(user="root@acme.com", admin=True)


class Counting:
    """The real model, counting the calls made to it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dimension, self.symmetric = (
            inner,
            inner.name,
            inner.dimension,
            inner.symmetric,
        )
        self.calls = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return self.inner.embed(texts)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return self.inner.embed_queries(texts)

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self.inner.embed_query(text)


def _counting_runtime(rt: Runtime, settings=None) -> tuple[Runtime, Counting]:  # type: ignore[no-untyped-def]
    counting = Counting(rt.embedder)
    return Runtime(settings or rt.settings, embedder=counting, clock=FixedClock(EXAMPLE_NOW)), counting


def test_every_stored_chunk_with_sentences_has_their_vectors(example_runtime: Runtime) -> None:
    rt = example_runtime
    store = SentenceVectors(rt.db)
    missing = store.missing(rt.settings.model.name)
    for chunk_id in missing:  # only chunks the answerer finds no sentence in (a bare table, code)
        doc = rt.documents.get(chunk_id.rsplit("#", 1)[0], with_text=False)
        assert doc is not None
        chunk = next(c for c in rt.documents.chunks_for(doc.doc_id) if c.chunk_id == chunk_id)
        assert sentence_texts(chunk, doc.title) == [], chunk_id
    assert len(missing) < 0.05 * len(rt.documents.chunk_ids())
    assert store.count() > len(rt.documents.chunk_ids())  # several sentences a chunk


def test_an_answer_makes_no_model_call_beyond_the_search(example_runtime: Runtime) -> None:
    rt, counting = _counting_runtime(example_runtime)
    stored = rt.answer_embedder
    assert isinstance(stored, PrecomputedSentences)
    answerer = extractive_answerer(rt.settings.answer, rt.documents, stored)
    per_request = extractive_answerer(rt.settings.answer, rt.documents, counting)  # the old way
    for q in QUESTIONS:
        result = rt.retriever.search(q, ADMIN)
        before = counting.calls
        answer = answerer.answer(q, result)
        # The question's vector came from the search; every sentence's from the store: if the
        # answerer embedded a text the ingest did not store, this call count says so.
        assert counting.calls == before, q
        old = per_request.answer(q, result)
        assert counting.calls == before + 1  # per request: the question and every sentence
        assert answer.text == old.text, q
        assert [c.doc_id for c in answer.citations] == [c.doc_id for c in old.citations], q
    assert stored.model_calls == 0
    rt.close()


def test_a_store_without_sentence_vectors_answers_and_is_backfilled(
    example_runtime: Runtime, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    src, dst = sqlite3.connect(example_runtime.settings.store_path), sqlite3.connect(data / "kb.sqlite")
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(example_runtime.settings.data.dir / "chroma", data / "chroma")
    settings = example_runtime.settings.model_copy(deep=True)
    settings.data.dir, settings.store.path = data, data / "kb.sqlite"
    rt, counting = _counting_runtime(example_runtime, settings)
    store = SentenceVectors(rt.db)
    without = set(store.missing(settings.model.name))  # chunks without sentences
    rt.db.execute(
        "DELETE FROM sentence_vectors WHERE chunk_id IN "
        "(SELECT DISTINCT chunk_id FROM sentence_vectors ORDER BY chunk_id LIMIT 40)"
    )
    assert len(set(store.missing(settings.model.name)) - without) == 40

    answerer = extractive_answerer(rt.settings.answer, rt.documents, rt.answer_embedder)
    complete = extractive_answerer(example_runtime.settings.answer, example_runtime.documents, counting)
    for q in QUESTIONS:  # meanwhile answers are the same: missing sentences are embedded per request
        result = rt.retriever.search(q, ADMIN)
        assert answerer.answer(q, result).text == complete.answer(q, result).text, q
    ingester = rt.ingester()
    before = counting.calls
    assert ingester.backfill_sentences() == 40
    assert set(store.missing(settings.model.name)) == without
    assert counting.calls == before + 1  # 40 chunks: one group, one model call
    assert ingester.backfill_sentences() == 0
    assert counting.calls == before + 1
    rt.close()
