"""The knowledge report behind ``kb report`` and ``/admin``: health by space, team and owner with
its daily trend, knowledge gaps, the stale-citation rate per week, the most used documents and
the near-duplicates. Building it records today's health snapshot.

The report is for admins: it covers every document. Callers pass the documents with their
freshness (``kb.alerts.runner.AlertRunner.assessments``: the same judgement as the digests and
``kb docs``), an embedding function for the gap questions, and a search that names the owners of
what a question finds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from kb.config import Settings
from kb.identity import People
from kb.insights.gaps import GapCluster, GapQuestion, gap_clusters
from kb.insights.health import HealthRow, Ownership, by_status, health
from kb.insights.traffic import UsedDoc, WeekRate, most_used, stale_citation_rate
from kb.lifecycle.freshness import Freshness
from kb.records import Document
from kb.store.audit import AuditLog
from kb.store.db import Database
from kb.store.duplicates import NearDuplicates
from kb.store.feedback import FeedbackStore
from kb.store.health_snapshots import HealthSnapshots, SnapshotRow
from kb.store.reviews import ReviewStore

MAX_ROWS = 100_000  # audit rows read per report (the window is weeks, the audit keeps 90 days)
SOURCE_LABELS = {"notion": "Notion", "gdrive": "Google Drive"}


class DuplicateOut(BaseModel):
    doc_a: str
    title_a: str
    source_a: str
    doc_b: str
    title_b: str
    source_b: str
    similarity: float


class Report(BaseModel):
    generated_at: datetime
    window_days: int
    documents: int
    by_status: dict[str, int] = Field(description="documents per freshness status")
    health: list[HealthRow] = Field(description="the 'all' row, then per space, team and owner")
    trend: list[SnapshotRow] = Field(description="daily snapshots of the 'all' row, oldest first")
    gaps: list[GapCluster]
    stale_citations: list[WeekRate]
    most_used: list[UsedDoc]
    near_duplicates: list[DuplicateOut]


def gap_questions(db: Database, since: datetime) -> list[GapQuestion]:
    """Asks that cited nothing and searches that returned nothing, and down-voted answers."""
    out = [
        GapQuestion(at=e.at, question=e.query, why="nothing found")
        for e in AuditLog(db).entries(since=since, limit=MAX_ROWS)
        if e.action in ("ask", "search") and e.status == 200 and not e.doc_ids and e.query.strip()
    ]
    out += [
        GapQuestion(
            at=f.at, question=f.question, why="negative feedback", comment=f.comment, doc_ids=f.doc_ids
        )
        for f in FeedbackStore(db).list(rating="down", since=since, limit=MAX_ROWS)
    ]
    return out


def build_report(
    settings: Settings,
    db: Database,
    people: People,
    docs: Sequence[Document],
    fresh: Mapping[str, Freshness],
    *,
    embed: Callable[[list[str]], list[list[float]]],
    search_owners: Callable[[str], list[str]],
    now: datetime,
) -> Report:
    rs = settings.report
    since = now - timedelta(days=rs.window_days)
    by_id = {d.doc_id: d for d in docs}
    owners = Ownership(teams=rs.teams, left=lambda o: people.is_known(o) and not people.is_active(o))
    rows = health(docs, fresh, owners)
    snapshots = HealthSnapshots(db)
    snapshots.record(now.date(), [SnapshotRow(day=now.date(), **r.model_dump()) for r in rows])
    audit = AuditLog(db)
    entries = audit.entries(since=since, limit=MAX_ROWS)
    return Report(
        generated_at=now,
        window_days=rs.window_days,
        documents=len(docs),
        by_status=by_status(fresh),
        health=rows,
        trend=snapshots.series(since=(now - timedelta(days=365)).date()),
        gaps=gap_clusters(
            gap_questions(db, since),
            embed,
            rs.gap_similarity,
            {d.doc_id: d.owner for d in docs},
            search_owners,
        ),
        stale_citations=stale_citation_rate(entries, by_id, ReviewStore(db).latest_all(), settings),
        most_used=most_used(
            audit.usage_counts(since), by_id, {d: f.status for d, f in fresh.items()}, rs.top_documents
        ),
        near_duplicates=[
            DuplicateOut(
                doc_a=p.doc_a,
                title_a=by_id[p.doc_a].title,
                source_a=SOURCE_LABELS.get(by_id[p.doc_a].source, by_id[p.doc_a].source),
                doc_b=p.doc_b,
                title_b=by_id[p.doc_b].title,
                source_b=SOURCE_LABELS.get(by_id[p.doc_b].source, by_id[p.doc_b].source),
                similarity=p.similarity,
            )
            for p in NearDuplicates(db).all()
            if p.doc_a in by_id and p.doc_b in by_id
        ],
    )
