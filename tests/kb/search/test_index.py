"""The Chroma vector index (embedded, under tmp_path): upserts, deletes, ACL filters, scores."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from llama_index.core.vector_stores.types import VectorStoreQuery

from kb.config import Settings, settings_from_dict
from kb.errors import ConfigError, StoreError
from kb.records import Chunk
from kb.search.index import ChromaIndex, acl_key


def _chunk(doc: str, i: int, acl: list[str]) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}#{i}",
        doc_id=doc,
        index=i,
        text=f"{doc} part {i}",
        heading="H",
        metadata={"title": doc.upper(), "source": "notion", "acl_key": acl_key(acl)},
    )


def _unit(*xs: float) -> list[float]:
    n = math.sqrt(sum(x * x for x in xs))
    return [x / n for x in xs]


@pytest.fixture
def index(settings: Settings) -> ChromaIndex:
    ix = ChromaIndex(settings)
    ix.upsert(
        [_chunk("a", 0, ["everyone"]), _chunk("a", 1, ["everyone"]), _chunk("b", 0, ["group:x"])],
        [_unit(1, 0, 0), _unit(1, 1, 0), _unit(0, 0, 1)],
    )
    return ix


def test_acl_key_ignores_order_case_and_duplicates() -> None:
    assert acl_key(["group:X", "everyone"]) == acl_key(["everyone", "group:x", "group:x"])
    assert acl_key(["everyone"]) != acl_key(["group:x"])
    assert len(acl_key([])) == 16


def test_query_scores_are_cosine_similarity(index: ChromaIndex) -> None:
    hits = index.query(_unit(1, 0, 0), k=5)
    assert [h.chunk_id for h in hits] == ["a#0", "a#1", "b#0"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[1].score == pytest.approx(math.sqrt(0.5), abs=1e-4)
    assert hits[2].score == pytest.approx(0.0, abs=1e-4)
    assert hits[0].doc_id == "a"


def test_query_filters_by_acl_keys_only_when_given(index: ChromaIndex) -> None:
    assert {h.doc_id for h in index.query(_unit(0, 0, 1), k=5, acl_keys=[acl_key(["everyone"])])} == {"a"}
    assert index.query(_unit(0, 0, 1), k=5, acl_keys=[]) == []
    assert index.query(_unit(0, 0, 1), k=1)[0].doc_id == "b"


def test_upsert_is_idempotent_and_overwrites(index: ChromaIndex) -> None:
    index.upsert([_chunk("b", 0, ["group:x"])], [_unit(1, 0, 0)])
    assert index.count() == 3
    assert index.query(_unit(1, 0, 0), k=1)[0].score == pytest.approx(1.0, abs=1e-4)


def test_deletes_by_chunk_and_by_document(index: ChromaIndex) -> None:
    index.delete_chunks([])
    assert index.count() == 3
    index.delete_chunks(["a#1", "missing#9"])
    assert index.chunk_ids() == {"a#0", "b#0"}
    index.delete_docs(["a"])
    assert index.chunk_ids() == {"b#0"}


def test_update_acl_changes_metadata_without_touching_vectors(index: ChromaIndex) -> None:
    assert index.update_acl("b", ["everyone"]) == 1
    hits = index.query(_unit(0, 0, 1), k=1, acl_keys=[acl_key(["everyone"])])
    assert hits[0].chunk_id == "b#0"
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    meta = index.metadata("b#0")
    assert meta is not None and meta["acl_key"] == acl_key(["everyone"]) and meta["title"] == "B"


def test_llama_index_vector_store_reads_the_same_records(index: ChromaIndex) -> None:
    result = index.vector_store.query(VectorStoreQuery(query_embedding=_unit(0, 0, 1), similarity_top_k=1))
    assert result.ids == ["b#0"]
    assert result.nodes[0].get_content() == "b part 0"
    assert result.nodes[0].ref_doc_id == "b"


def test_index_persists_across_clients(index: ChromaIndex, settings: Settings) -> None:
    assert ChromaIndex(settings).chunk_ids() == {"a#0", "a#1", "b#0"}


def test_chunk_ids_pages_past_the_batch_size(settings: Settings) -> None:
    ix = ChromaIndex(settings)
    ix._max_batch = 7  # exercise paging and batching without thousands of records
    chunks = [_chunk("d", i, ["everyone"]) for i in range(30)]
    ix.upsert(chunks, [_unit(1, i + 1, 0) for i in range(30)])
    assert ix.chunk_ids() == {c.chunk_id for c in chunks}
    ix.delete_chunks([c.chunk_id for c in chunks[:20]])
    assert ix.count() == 10


def test_mismatched_embeddings_are_an_error(settings: Settings) -> None:
    with pytest.raises(StoreError):
        ChromaIndex(settings).upsert([_chunk("a", 0, [])], [])


def test_unreachable_server_names_the_url(tmp_path: Path) -> None:
    settings = settings_from_dict(
        {"data": {"dir": str(tmp_path)}, "index": {"chroma_url": "http://127.0.0.1:9"}}
    )
    with pytest.raises(StoreError, match=r"http://127\.0\.0\.1:9"):
        ChromaIndex(settings)


def test_bad_chroma_url_is_a_config_error(tmp_path: Path) -> None:
    settings = settings_from_dict({"data": {"dir": str(tmp_path)}, "index": {"chroma_url": "localhost"}})
    with pytest.raises(ConfigError, match=r"index\.chroma_url"):
        ChromaIndex(settings)
