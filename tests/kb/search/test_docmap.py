"""The retriever's document map (records, ACL keys, successor links) after a write re-reads only
the documents that changed, and equals one read from scratch."""

from __future__ import annotations

from typing import Any

import pytest

from kb.config import Settings
from kb.records import Document
from kb.runtime import Runtime


def _doc(i: int, **update: Any) -> Document:
    doc = Document(doc_id=f"d{i:02d}", source="notion", title=f"Page {i}", acl=[f"group:g{i % 3}"], text="x")
    return doc.model_copy(update=update)


def _same(a: Any, b: Any) -> None:
    assert list(a.docs) == list(b.docs)  # doc id order, as the store lists them
    assert a.docs == b.docs and a.acl_keys == b.acl_keys and a.by_key == b.by_key
    assert a.relations.named_by == b.relations.named_by


def test_the_document_map_rereads_only_what_changed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = Runtime(settings)
    for i in range(20):
        rt.documents.upsert(_doc(i))
    retriever = rt.retriever
    retriever._docmap()
    listed: list[int] = []
    original = rt.documents.list
    monkeypatch.setattr(rt.documents, "list", lambda **kw: listed.append(1) or original(**kw))

    rt.documents.upsert(_doc(3, acl=["everyone"], title="Moved"))  # ACL and title changed
    rt.documents.delete(["d05"])
    rt.documents.upsert(_doc(25, supersedes=["d01"]))  # added, naming a predecessor
    patched = retriever._docmap()
    assert listed == []  # three documents read back, not all of them
    _same(patched, rt.retriever_for(None)._docmap())
    assert len(listed) == 1  # the fresh map read them all

    for i in range(10):  # half of the documents: read everything again
        rt.documents.upsert(_doc(i, title=f"Renamed {i}"))
    _same(retriever._docmap(), rt.retriever_for(None)._docmap())
    assert len(listed) == 3
    rt.close()
