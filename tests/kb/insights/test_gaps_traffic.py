"""Knowledge gaps (clustering, likely owner) and traffic figures (stale-citation rate, most used)
on fixed vectors and records: no model needed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from kb.config import Settings
from kb.insights.gaps import GapQuestion, cluster, gap_clusters
from kb.insights.traffic import most_used, stale_citation_rate
from kb.records import Document
from kb.store.audit import AuditEntry

T = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday
VECTORS = {
    "vpn cert": [1.0, 0.0, 0.0],
    "vpn certificate rotation": [0.95, 0.1, 0.0],
    "lunch menu": [0.0, 0.0, 1.0],
}


def embed(texts: list[str]) -> list[list[float]]:
    return [VECTORS[t] for t in texts]


def test_cluster_groups_by_cosine() -> None:
    v = np.asarray(list(VECTORS.values()))
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    assert cluster(v, 0.6) == [[0, 1], [2]]
    assert cluster(v, 0.999) == [[0], [1], [2]]
    assert cluster(v[:1], 0.6) == [[0]]
    assert cluster(v[:0], 0.6) == []


def test_gap_clusters_name_a_topic_and_the_likely_owner() -> None:
    questions = [
        GapQuestion(at=T, question="vpn cert", why="nothing found"),
        GapQuestion(at=T, question="vpn certificate rotation", why="negative feedback", doc_ids=["n:vpn"]),
        GapQuestion(at=T, question="lunch menu", why="nothing found"),
    ]
    searched: list[str] = []

    def search_owners(q: str) -> list[str]:
        searched.append(q)
        return ["office@acme.test"]

    gaps = gap_clusters(questions, embed, 0.6, {"n:vpn": "sam@acme.test"}, search_owners)
    assert [(g.count, g.nothing_found, g.negative_feedback, g.likely_owner) for g in gaps] == [
        (2, 1, 1, "sam@acme.test"),
        (1, 1, 0, "office@acme.test"),
    ]
    assert gaps[0].topic in {"vpn cert", "vpn certificate rotation"}
    assert searched == ["lunch menu"]  # a cluster with documents needs no search
    assert gap_clusters([], embed, 0.6, {}, search_owners) == []


def test_stale_citation_rate_judges_the_first_source_when_it_was_cited() -> None:
    settings = Settings()
    fresh_until_dec = Document(
        doc_id="n:a",
        source="notion",
        title="A",
        last_reviewed_at=datetime(2026, 6, 1, tzinfo=UTC),
        review_interval_days=180,
    )
    old = Document(
        doc_id="n:b",
        source="notion",
        title="B",
        last_reviewed_at=datetime(2020, 1, 1, tzinfo=UTC),
        review_interval_days=180,
    )
    docs = {d.doc_id: d for d in (fresh_until_dec, old)}

    def ask(at: datetime, ids: list[str], action: str = "ask", status: int = 200) -> AuditEntry:
        return AuditEntry(at=at, user="u", action=action, query="q", doc_ids=ids, status=status)

    entries = [
        ask(T, ["n:a", "n:b"]),
        ask(T, ["n:b"]),
        ask(T, []),  # nothing cited: not an answer with a source
        ask(T, ["n:b"], action="search"),
        ask(T, ["n:b"], status=500),
        ask(T, ["n:gone"]),
        ask(datetime(2027, 1, 5, tzinfo=UTC), ["n:a"]),  # by January "A" is overdue
    ]
    weeks = stale_citation_rate(entries, docs, {}, settings)
    assert [(w.week, w.answers, w.stale_first, w.rate) for w in weeks] == [
        (date(2026, 11, 16), 2, 1, 0.5),
        (date(2027, 1, 4), 1, 1, 1.0),
    ]
    # A review recorded through FreshKB before the ask counts; one recorded after does not.
    reviewed = {"n:b": datetime(2026, 11, 1, tzinfo=UTC)}
    assert stale_citation_rate(entries[:2], docs, reviewed, settings)[0].stale_first == 0
    later = {"n:b": datetime(2026, 12, 1, tzinfo=UTC)}
    assert stale_citation_rate(entries[:2], docs, later, settings)[0].stale_first == 1


def test_most_used_skips_removed_documents() -> None:
    docs = {"n:a": Document(doc_id="n:a", source="notion", title="A", owner="o@acme.test")}
    used = most_used({"n:a": 3, "n:gone": 9}, docs, {"n:a": "fresh"}, top=5)
    assert [(u.doc_id, u.uses, u.status, u.owner) for u in used] == [("n:a", 3, "fresh", "o@acme.test")]
