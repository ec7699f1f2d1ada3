"""QueryCache: an LRU of query vectors by (model, normalised text); QueryBatcher consults it, so
a repeated question makes no model call and gets exactly the vector a miss computed."""

from __future__ import annotations

import pytest

from kb.search.query_batch import QueryBatcher, QueryCache, normalise_query


def test_normalised_text_folds_whitespace_and_unicode_forms() -> None:
    assert normalise_query("  How are\tinvoices\n generated? ") == "How are invoices generated?"
    assert normalise_query("Cafe\u0301") == normalise_query("Caf\u00e9")


def test_least_recently_used_entry_is_evicted_and_hits_are_counted() -> None:
    cache = QueryCache(2, "m")
    cache.put("a", [1.0])
    cache.put("b", [2.0])
    assert cache.get("a") == [1.0]  # a is now the most recent
    cache.put("c", [3.0])
    assert cache.get("b") is None
    assert cache.get("a") == [1.0] and cache.get("c") == [3.0]
    assert (cache.hits, cache.misses, len(cache)) == (3, 1, 2)


def test_size_zero_caches_nothing() -> None:
    cache = QueryCache(0, "m")
    cache.put("a", [1.0])
    assert cache.get("a") is None and len(cache) == 0


@pytest.mark.slow
def test_a_repeated_question_makes_no_model_call(embedder) -> None:  # type: ignore[no-untyped-def]
    batcher = QueryBatcher(lambda: embedder, cache=QueryCache(8, embedder.name))
    first = batcher.embed_query("How are invoices generated?")
    again = batcher.embed_query("  how are invoices generated? ".replace("how", "How", 1))
    assert batcher.calls == 1 and again == first
    assert first == embedder.embed_query("How are invoices generated?")
    batcher.embed_query("Who owns billing?")
    assert batcher.calls == 2 and batcher.cache.hits == 1
