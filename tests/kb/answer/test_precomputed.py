"""Sentence vectors stored at ingest: an answer costs the question's embedding only (shared with
the search), answers the same as embedding every sentence per request, and a store written
without them is backfilled by the next ingest."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kb.answer.extractive import ExtractiveAnswerer, extractive_answerer
from kb.clock import FixedClock
from kb.ingest.pipeline import Ingester
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.sentence_vectors import SentenceVectors
from tests.conftest import EXAMPLE_NOW

QUESTIONS = [
    "How are invoices generated?",
    "How many weeks of parental leave do birthing parents get?",
    "How do I run the failover for postgres?",
    "Who approves production access?",
]
ADMIN = Principal(user="root@acme.com", admin=True)


class Counting:
    """The real model, counting the calls made to it."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.calls = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return self.inner.embed(texts)  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self.inner.embed_query(text)  # type: ignore[no-any-return]


def _runtime(settings, embedder) -> Runtime:  # type: ignore[no-untyped-def]
    return Runtime(settings, embedder=Counting(embedder), clock=FixedClock(EXAMPLE_NOW))


@pytest.mark.slow
def test_every_stored_chunk_has_its_sentence_vectors(example_runtime: Runtime) -> None:
    store = SentenceVectors(example_runtime.db)
    assert store.missing(example_runtime.settings.model.name) == []
    assert store.count() == len(example_runtime.documents.chunk_ids())


@pytest.mark.slow
def test_an_answer_makes_no_model_call_beyond_the_search(example_runtime: Runtime) -> None:
    rt = _runtime(example_runtime.settings, example_runtime.embedder)
    counting = rt.embedder
    assert isinstance(counting, Counting)
    answerer = extractive_answerer(rt)
    per_request = ExtractiveAnswerer(counting, rt.settings.answer, chunks=answerer._chunks)  # the old way
    for q in QUESTIONS:
        result = rt.retriever.search(q, ADMIN)
        before = counting.calls
        answer = answerer.answer(q, result)
        assert counting.calls == before, q  # the question's vector came from the search
        assert answer.citations, q
        old = per_request.answer(q, result)
        assert counting.calls == before + 2  # per request: the question, then every sentence
        assert answer.text == old.text, q
    assert answerer.model_calls == 0
    rt.close()


@pytest.mark.slow
def test_a_store_without_sentence_vectors_is_backfilled(example_runtime: Runtime, tmp_path: Path) -> None:
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
    rt = _runtime(settings, example_runtime.embedder)
    store = SentenceVectors(rt.db)
    rt.db.execute("DELETE FROM sentence_vectors WHERE chunk_id IN (SELECT chunk_id FROM chunks LIMIT 40)")
    assert len(store.missing(settings.model.name)) == 40

    answerer = extractive_answerer(rt)
    for q in QUESTIONS:  # meanwhile answers still work: missing sentences are embedded per request
        assert answerer.answer(q, rt.retriever.search(q, ADMIN)).citations
    filled = Ingester(rt).backfill_sentences()
    assert filled == 40 and store.missing(settings.model.name) == []
    assert Ingester(rt).backfill_sentences() == 0
    rt.close()
