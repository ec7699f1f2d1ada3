"""The two successor tables: inferred pairs are replaced whole (readers see the old or the new
set) and carry a version; decisions are appended, the latest per pair wins, history is kept."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from kb.store.db import Database
from kb.store.inferred_successors import InferredPair, InferredSuccessors
from kb.store.successor_decisions import SuccessorDecision, SuccessorDecisions

AT = datetime(2026, 12, 3, 12, tzinfo=UTC)
INTEGRITY = (sqlite3.IntegrityError, psycopg.IntegrityError)  # the two backends' constraint errors


def test_inferred_pairs_are_replaced_whole_and_versioned(open_db: Callable[[], Database]) -> None:
    store = InferredSuccessors(open_db())
    assert store.all() == [] and store.version() == 0
    first = [
        InferredPair(doc_id="a", successor_id="c", confidence=0.7, reason="r1", inferred_at=AT),
        InferredPair(doc_id="a", successor_id="b", confidence=0.9, reason="r2", inferred_at=AT),
    ]
    store.replace_all(first)
    assert [p.successor_id for p in store.all()] == ["b", "c"]  # most confident first
    v1 = store.version()
    store.replace_all(first[:1])
    assert store.all() == first[:1] and store.version() > v1
    # A failing rewrite leaves the previous set in place.
    dup = [first[0], first[0]]
    with pytest.raises(INTEGRITY):
        store.replace_all(dup)
    assert store.all() == first[:1]


def test_the_latest_decision_on_a_pair_wins_and_history_stays(open_db: Callable[[], Database]) -> None:
    store = SuccessorDecisions(open_db())
    for i, verdict in enumerate(["replaced", "not_replaced"]):
        store.record(
            SuccessorDecision(
                doc_id="a",
                successor_id="b",
                decision=verdict,
                decided_by="o@x.test",
                decided_at=AT + timedelta(hours=i),
            )
        )
    store.record(
        SuccessorDecision(
            doc_id="a", successor_id="c", decision="replaced", decided_by="o@x.test", decided_at=AT
        )
    )
    latest = {(d.doc_id, d.successor_id): d.decision for d in store.latest()}
    assert latest == {("a", "b"): "not_replaced", ("a", "c"): "replaced"}
    assert [d.decision for d in store.history("a")] == ["replaced", "not_replaced", "replaced"]
    assert store.version() == 3
    with pytest.raises(INTEGRITY):  # the table itself refuses other answers
        store.db.execute(
            "INSERT INTO successor_decisions (doc_id, successor_id, decision, decided_by, decided_at) "
            "VALUES ('a', 'b', 'maybe', 'x', 'now')"
        )
