"""The stored successor evidence as ``judge`` takes it: latest decision per pair, stored
inferences with current titles, rows about pages that are gone dropped, "not replaced" pairs
never offered, and query-time guesses merged by confidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kb.config import Settings
from kb.lifecycle.evidence import SuccessorEvidence
from kb.lifecycle.successors import Relations, Successor, judge
from kb.records import Document
from kb.store.db import Database
from kb.store.inferred_successors import InferredPair, InferredSuccessors
from kb.store.successor_decisions import SuccessorDecision, SuccessorDecisions

AT = datetime(2026, 12, 3, tzinfo=UTC)


def _doc(doc_id: str, title: str) -> Document:
    return Document(doc_id=doc_id, source="notion", title=title, last_edited_at=AT - timedelta(days=30))


def _pair(old: str, new: str, confidence: float) -> InferredPair:
    return InferredPair(
        doc_id=old, successor_id=new, confidence=confidence, reason=f"{old}->{new}", inferred_at=AT
    )


def test_evidence_from_the_store(tmp_path: Path) -> None:
    db = Database(tmp_path / "kb.sqlite")
    docs = {d.doc_id: d for d in (_doc("a", "Old"), _doc("b", "New title"), _doc("c", "Other"))}
    InferredSuccessors(db).replace_all([_pair("a", "b", 0.8), _pair("a", "c", 0.9), _pair("a", "gone", 0.99)])
    decisions = SuccessorDecisions(db)
    for verdict in ("replaced", "not_replaced"):  # the later answer wins
        decisions.record(
            SuccessorDecision(doc_id="a", successor_id="c", decision=verdict, decided_by="o", decided_at=AT)
        )
    version = SuccessorEvidence.version(db)
    ev = SuccessorEvidence.load(db, docs)
    assert [(d.new, d.replaced) for d in ev.decisions_for("a")] == [("c", False)]
    assert [(s.doc_id, s.title, s.inferred) for s in ev.inferred["a"]] == [("b", "New title", True)]

    query_time = [
        Successor(doc_id="b", title="New title", basis="inferred", inferred=True, confidence=0.85, reason="q")
    ]
    assert [(s.doc_id, s.confidence) for s in ev.with_query_time("a", query_time)] == [("b", 0.85)]
    assert ev.with_query_time("c", []) == []

    judged = judge(
        docs["a"],
        AT,
        Settings(),
        relations=Relations.of(docs.values()),
        readable=lambda d: d != "b",  # the only remaining guess is unreadable: no successor at all
        decisions=ev.decisions_for("a"),
        inferred=ev.inferred["a"],
    )
    assert judged.successor is None and not any("New title" in r for r in judged.freshness.reasons)

    decisions.record(
        SuccessorDecision(doc_id="a", successor_id="b", decision="replaced", decided_by="o", decided_at=AT)
    )
    assert SuccessorEvidence.version(db) != version
