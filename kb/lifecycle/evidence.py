"""The successor evidence FreshKB itself keeps, as ``judge`` takes it: owners' decisions and the
successors inferred at ingest (``kb.store.successor_decisions``, ``kb.store.inferred_successors``).

Every view that judges freshness (search, ``GET /v1/docs``, ``kb docs``, digests, review pages)
loads it here, so an owner's "replaced" / "not replaced" applies everywhere at once. Rows name
pages only by id; titles and urls come from the current records, and a row whose page is gone is
dropped. Whether a reader may see a successor is still ``judge``'s decision, per reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kb.lifecycle.successors import Decision, Successor
from kb.records import Document
from kb.store.db import Database
from kb.store.inferred_successors import SCHEMA as INFERRED_SCHEMA
from kb.store.inferred_successors import InferredSuccessors
from kb.store.successor_decisions import SCHEMA as DECISIONS_SCHEMA
from kb.store.successor_decisions import SuccessorDecisions


@dataclass(frozen=True)
class SuccessorEvidence:
    decisions: tuple[Decision, ...] = ()
    inferred: Mapping[str, Sequence[Successor]] = field(default_factory=dict)  # old -> best first
    by_old: Mapping[str, tuple[Decision, ...]] = field(default_factory=dict)  # old -> its decisions

    @classmethod
    def load(cls, db: Database, docs: Mapping[str, Document]) -> SuccessorEvidence:
        """The latest decision on each pair and the stored inferences, for pages in ``docs``."""
        decisions = tuple(
            Decision(old=d.doc_id, new=d.successor_id, replaced=d.decision == "replaced")
            for d in SuccessorDecisions(db).latest()
            if d.doc_id in docs and d.successor_id in docs
        )
        rejected = {(d.old, d.new) for d in decisions if not d.replaced}
        inferred: dict[str, list[Successor]] = {}
        for row in InferredSuccessors(db).all():
            new = docs.get(row.successor_id)
            if row.doc_id not in docs or new is None or (row.doc_id, row.successor_id) in rejected:
                continue
            inferred.setdefault(row.doc_id, []).append(
                Successor(
                    doc_id=new.doc_id,
                    title=new.title,
                    url=new.url,
                    basis="inferred",
                    inferred=True,
                    confidence=row.confidence,
                    reason=row.reason,
                )
            )
        by_old: dict[str, list[Decision]] = {}
        for d in decisions:
            by_old.setdefault(d.old, []).append(d)
        return cls(decisions, inferred, {k: tuple(v) for k, v in by_old.items()})

    def decisions_for(self, doc_id: str) -> tuple[Decision, ...]:
        """The decisions about ``doc_id`` (as the older page)."""
        return self.by_old.get(doc_id, ())

    @staticmethod
    def version(db: Database) -> tuple[int, int]:
        """Changes whenever a decision is recorded or the inferences are rewritten (one query on
        the two tables' primary keys: it runs on every search)."""
        db.ensure_schema(DECISIONS_SCHEMA)
        db.ensure_schema(INFERRED_SCHEMA)
        row = db.execute(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM successor_decisions) AS d, "
            "(SELECT COALESCE(MAX(id), 0) FROM inferred_successors) AS i"
        ).fetchone()
        return int(row["d"]), int(row["i"])

    def with_query_time(self, doc_id: str, found: Sequence[Successor]) -> list[Successor]:
        """``doc_id``'s stored inferences and those found among a query's candidates, best first."""
        merged = {s.doc_id: s for s in found}
        for s in self.inferred.get(doc_id, ()):
            if s.doc_id not in merged or merged[s.doc_id].confidence < s.confidence:
                merged[s.doc_id] = s
        return sorted(merged.values(), key=lambda s: (-s.confidence, s.doc_id))
