"""One "document with freshness" projection: a citation, a ``/v1/docs`` entry and a digest item
of the same document say the same thing in the same fields."""

from __future__ import annotations

from datetime import UTC, datetime

from kb.alerts.digest import item_for
from kb.answer import Citation
from kb.api.schemas import DocSummary
from kb.config import Settings
from kb.lifecycle.successors import Relations, Successor, judge
from kb.lifecycle.view import DocView
from kb.records import Document

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _old_and_new() -> tuple[Document, Document]:
    old = Document(
        doc_id="notion:" + "a" * 32,
        source="notion",
        title="Deploy runbook (2021)",
        path=["Eng", "Runbooks"],
        url="https://notion.test/old",
        owner="alice@acme.test",
        last_reviewed_at=datetime(2021, 3, 1, tzinfo=UTC),
        last_edited_at=datetime(2021, 4, 1, tzinfo=UTC),
        status="active",
        superseded_by="notion:" + "b" * 32,
        acl=["everyone"],
    )
    new = Document(doc_id="notion:" + "b" * 32, source="notion", title="Deploy runbook", acl=["everyone"])
    return old, new


def test_every_projection_is_a_docview_with_the_same_values() -> None:
    old, new = _old_and_new()
    judged = judge(old, NOW, Settings(), relations=Relations.of([old, new]), readable=lambda _: True)
    assert judged.successor is not None
    fr, succ = judged.freshness, judged.successor
    views = {
        "api": DocSummary.build(old, fr, succ),
        "citation": Citation.of(old, fr, succ, n=1),
        "digest": item_for(old, fr, NOW, usage=2, review=None).model_copy(update={"successor": None}),
    }
    expected = DocView.of(old, fr, succ).model_dump()
    assert expected["status"] == "superseded" and expected["doc_status"] == "active"
    assert expected["successor"]["doc_id"] == new.doc_id and expected["path"] == ["Eng", "Runbooks"]
    assert expected["last_reviewed_at"] == old.last_reviewed_at and expected["due_at"] == fr.due_at
    for name, view in views.items():
        assert isinstance(view, DocView), name
        got = {k: v for k, v in view.model_dump().items() if k in expected}
        want = expected if name != "digest" else {**expected, "successor": None}
        assert got == want, name


def test_a_successor_the_judge_dropped_is_nowhere_in_the_view() -> None:
    old, new = _old_and_new()
    judged = judge(old, NOW, Settings(), relations=Relations.of([old]), readable=lambda d: d != new.doc_id)
    view = DocSummary.build(old, judged.freshness, judged.successor)
    assert view.successor is None and view.status != "superseded"
    assert new.doc_id not in view.model_dump_json()


def test_successor_ref_keeps_what_the_reader_sees() -> None:
    old, _ = _old_and_new()
    succ = Successor(doc_id="notion:c", title="C", url=None, basis="inferred", inferred=True, reason="newer")
    fr = judge(old, NOW, Settings(), relations=Relations.of([old]), readable=lambda _: True).freshness
    ref = DocView.of(old, fr, succ).successor
    assert ref is not None and ref.model_dump() == {
        "doc_id": "notion:c",
        "title": "C",
        "url": None,
        "inferred": True,
        "reason": "newer",
    }
