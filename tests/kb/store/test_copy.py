"""``kb.store.copy``: a filled SQLite store copied into an empty SQLite or PostgreSQL store, row for
row, with the counts verified; a destination that holds rows is refused and left as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.errors import StoreError
from kb.records import Chunk, Document, SecretFinding
from kb.store.alerts import AlertHistory, SentItem
from kb.store.audit import AuditEntry, AuditLog
from kb.store.copy import copy_store
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.duplicates import NearDuplicates, Pair
from kb.store.export_ids import ExportIdentities
from kb.store.feedback import Feedback, FeedbackStore
from kb.store.health_snapshots import HealthSnapshots, SnapshotRow
from kb.store.inferred_successors import InferredPair, InferredSuccessors
from kb.store.pull_state import PullState
from kb.store.raw_hashes import RawEntry, RawHashes
from kb.store.review_links import UsedLinks
from kb.store.reviews import Review, ReviewStore
from kb.store.secrets import SecretFindings
from kb.store.sentence_vectors import SentenceRow, SentenceVectors
from kb.store.successor_decisions import SuccessorDecision, SuccessorDecisions
from kb.store.tombstones import BuriedChunk, Tombstones

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def fill(db: Database) -> None:
    docs = DocumentStore(db)
    for i in range(3):
        doc = Document(
            doc_id=f"notion:{i}", source="notion", title=f"Page {i}", text=f"Body {i} 100%", owner="a@x"
        )
        docs.upsert(
            doc,
            [Chunk(chunk_id=f"notion:{i}#{k}", doc_id=doc.doc_id, index=k, text=f"c{k}") for k in range(2)],
        )
        RawHashes(db).record([RawEntry(doc.doc_id, f"raw{i}", doc.content_hash, doc.metadata_hash())])
    SecretFindings(db).replace(
        "notion:1", [SecretFinding(kind="aws-access-key", line=1, preview="AKIA…")], NOW
    )
    ReviewStore(db).record(Review(doc_id="notion:0", reviewer="a@x", reviewed_at=NOW, note="ok"))
    AuditLog(db).record(
        AuditEntry(at=NOW, user="u@x", action="ask", query="q", doc_ids=["notion:0"], latency_ms=3.5)
    )
    history = AlertHistory(db)
    history.record_sent(
        recipient="a@x", period="2026-11-20", channel="email", target="a@x",
        items=[SentItem(doc_id="notion:2", status="overdue")], at=NOW,
    )  # fmt: skip
    history.record_failure(
        recipient="b@x", period="2026-11-20", channel="email", target="b@x", error="550", at=NOW
    )
    ExportIdentities(db).record("notion", ["root-a", "root-b"])
    gone = Document(doc_id="notion:gone", source="notion", title="Gone", text="Old body", owner="a@x")
    Tombstones(db).bury(
        gone,
        [BuriedChunk(Chunk(chunk_id="notion:gone#0", doc_id=gone.doc_id, index=0, text="Old"), [0.5, -1.0])],
        NOW,
        "not in the export",
    )
    UsedLinks(db).claim("link-token", "notion:0", NOW)
    pulls = PullState(db, "wiki")
    pulls.save([(gone, "2026-11-01T00:00:00Z")])
    pulls.set_cursor("drive_changes", "page-7")
    FeedbackStore(db).add(
        Feedback(at=NOW, user="u@x", question="q", answer="a", doc_ids=["notion:0"], rating="down")
    )
    SentenceVectors(db).put("model-a", [SentenceRow("notion:0#0", "c0", [0.25, -0.5])])
    InferredSuccessors(db).replace_all(
        [
            InferredPair(
                doc_id="notion:0", successor_id="notion:1", confidence=0.9, reason="newer", inferred_at=NOW
            )
        ]
    )
    SuccessorDecisions(db).record(
        SuccessorDecision(
            doc_id="notion:0", successor_id="notion:1", decision="replaced", decided_by="a@x", decided_at=NOW
        )
    )
    NearDuplicates(db).replace([Pair.of("notion:2", "notion:1", 0.93)], NOW)
    HealthSnapshots(db).record(
        NOW.date(),
        [
            SnapshotRow(
                day=NOW.date(), dimension="all", key="all", documents=3, fresh=2, due_soon=0, overdue=1,
                unowned=0, owner_left=0,
            )
        ],
    )  # fmt: skip


def test_every_row_moves_and_the_counts_match(tmp_path: Path, open_db: Callable[[], Database]) -> None:
    source = Database(tmp_path / "source.sqlite")
    fill(source)
    destination = open_db()
    report = copy_store(source, destination)
    assert report.ok
    counts = {t.table: t.destination for t in report.tables}
    assert counts["documents"] == 3 and counts["chunks"] == 6 and counts["raw_hashes"] == 3
    assert counts["reviews"] == counts["audit"] == counts["alert_history"] == 1
    assert counts["alert_deliveries"] == 2 and counts["kv"] == 1
    assert "leases" not in counts and "schema_migrations" not in counts
    # fill() writes every table the copy moves, so each is proven to round-trip
    assert [t.table for t in report.tables if not t.source] == [], "tables fill() leaves empty"

    src_docs, dst_docs = DocumentStore(source), DocumentStore(destination)
    assert dst_docs.list(with_text=True) == src_docs.list(with_text=True)
    assert list(dst_docs.chunks()) == list(src_docs.chunks())
    assert dst_docs.generation() == src_docs.generation()
    assert RawHashes(destination).valid("notion") == RawHashes(source).valid("notion")
    assert SecretFindings(destination).all() == SecretFindings(source).all()
    assert AuditLog(destination).entries() == AuditLog(source).entries()
    assert AlertHistory(destination).last_alerted() == AlertHistory(source).last_alerted()
    assert ExportIdentities(destination).get("notion") == {"root-a", "root-b"}
    assert Tombstones(destination).list() == Tombstones(source).list()
    assert Tombstones(destination).chunks("notion:gone") == Tombstones(source).chunks("notion:gone")
    assert Tombstones(destination).chunks("notion:gone")[0].vector == [0.5, -1.0]
    assert UsedLinks(destination).used_at("link-token") == NOW
    assert PullState(destination, "wiki").documents() == PullState(source, "wiki").documents()
    assert PullState(destination, "wiki").cursor("drive_changes") == "page-7"
    assert FeedbackStore(destination).list() == FeedbackStore(source).list()
    assert NearDuplicates(destination).all() == [Pair(doc_a="notion:1", doc_b="notion:2", similarity=0.93)]
    assert HealthSnapshots(destination).series() == HealthSnapshots(source).series() != []
    # Identity columns continue after the copied ids (PostgreSQL sequences were moved past them).
    ReviewStore(destination).record(Review(doc_id="notion:1", reviewer="b@x", reviewed_at=NOW))
    assert [r.reviewer for r in ReviewStore(destination).history("notion:1")] == ["b@x"]
    added = FeedbackStore(destination).add(
        Feedback(at=NOW, user="v@x", question="q2", answer="a2", rating="up")
    )
    assert added.id == 2 and [f.id for f in FeedbackStore(destination).list()] == [2, 1]


def test_a_destination_with_rows_is_refused_and_untouched(
    tmp_path: Path, open_db: Callable[[], Database]
) -> None:
    source = Database(tmp_path / "source.sqlite")
    fill(source)
    destination = open_db()
    ReviewStore(destination).record(Review(doc_id="notion:9", reviewer="keep@x", reviewed_at=NOW))
    with pytest.raises(StoreError, match=r"not empty \(reviews: 1 rows\): refusing to merge"):
        copy_store(source, destination)
    assert DocumentStore(destination).count() == 0
    assert [r.reviewer for r in ReviewStore(destination).history("notion:9")] == ["keep@x"]


def test_a_store_written_to_during_the_copy_is_copied_as_of_one_instant(
    tmp_path: Path, open_db: Callable[[], Database]
) -> None:
    """A server keeps writing its audit log while ``kb migrate --to`` copies its store."""
    import threading

    source = Database(tmp_path / "source.sqlite")
    fill(source)
    log = AuditLog(Database(tmp_path / "source.sqlite"))  # the server: its own connection
    stop, written = threading.Event(), [0]

    def serve() -> None:
        while not stop.is_set():
            log.record(AuditEntry(at=NOW, user="s@x", action="search", query=f"q{written[0]}", doc_ids=[]))
            written[0] += 1

    server = threading.Thread(target=serve)
    server.start()
    try:
        while written[0] < 20:  # the server is writing before the copy starts
            threading.Event().wait(0.01)
        report = copy_store(source, open_db())
    finally:
        stop.set()
        server.join()
    audit = next(t for t in report.tables if t.table == "audit")
    assert report.ok, report
    assert 1 + 20 <= audit.destination <= 1 + written[0]
