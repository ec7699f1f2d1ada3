"""Recording "still accurate" reviews: who may, and what the document's freshness becomes.

Shared by ``POST /v1/docs/{id}/review``, the one-click link page and ``kb review``. The review is
kept in ``kb.store.reviews``; ``kb.lifecycle.freshness.assess(reviewed_at=...)`` decides how long it counts
(until the source shows a newer edit or review date).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from kb.clock import Clock
from kb.config import Settings
from kb.errors import BadRequest, NotFoundError
from kb.identity import normalize_email, principal_for_user, same_email
from kb.lifecycle.evidence import SuccessorEvidence
from kb.lifecycle.freshness import Freshness
from kb.lifecycle.successors import Relations, judge
from kb.records import Document, Principal
from kb.store.audit import AuditEntry, AuditLog
from kb.store.documents import DocumentStore
from kb.store.reviews import Review, ReviewStore

MAX_NOTE_CHARS = 2000
COLLAPSE_WITHIN = timedelta(days=1)
"""Repeated reviews of one document by one person within this long are one review."""


class ReviewOutcome(BaseModel):
    doc_id: str
    title: str
    review: Review
    freshness: Freshness = Field(description="the document's freshness right after the review")
    collapsed: bool = Field(
        False, description="the same person reviewed it within a day: that review was updated, none added"
    )


def may_review(principal: Principal, doc: Document) -> bool:
    """The document's owner or an admin."""
    if principal.admin:
        return True
    return same_email(doc.owner, principal.user)


def load_doc(documents: DocumentStore, doc_id: str) -> Document:
    doc = documents.get(doc_id, with_text=True)
    if doc is None:
        raise NotFoundError("no such document", subject=doc_id)
    return doc


def freshness_now(
    settings: Settings,
    reviews: ReviewStore,
    documents: DocumentStore,
    doc: Document,
    now: datetime,
    reader: Principal | None = None,
) -> Freshness:
    """``doc``'s freshness for ``reader`` (default: its owner), the same judgement search and
    ``GET /v1/docs`` make (``kb.lifecycle.successors.judge``)."""
    latest = reviews.latest(doc.doc_id)
    who = reader or principal_for_user(doc.owner or "", settings.auth)
    everything = documents.list(with_text=False)
    docs = [d for d in everything if who.can_read(d.acl)]
    readable = {d.doc_id for d in docs}
    evidence = SuccessorEvidence.load(reviews.db, {d.doc_id: d for d in everything})
    return judge(
        doc,
        now,
        settings,
        relations=Relations.of(docs),
        readable=readable.__contains__,
        reviewed_at=latest.reviewed_at if latest else None,
        decisions=evidence.decisions_for(doc.doc_id),
        inferred=evidence.inferred.get(doc.doc_id, ()),
    ).freshness


def confirm_review(
    settings: Settings,
    reviews: ReviewStore,
    documents: DocumentStore,
    clock: Clock,
    doc: Document,
    reviewer: str,
    *,
    note: str = "",
    via: str = "api",
) -> ReviewOutcome:
    """Record that ``reviewer`` confirmed ``doc`` accurate now (a repeat within a day updates the
    earlier review) and write it to the audit log; return its new freshness. The caller has
    checked that ``reviewer`` may (``may_review``)."""
    if len(note) > MAX_NOTE_CHARS:
        raise BadRequest(f"note is {len(note)} characters; the limit is {MAX_NOTE_CHARS}", subject="note")
    now = clock.now()
    review = Review(
        doc_id=doc.doc_id, reviewer=normalize_email(reviewer), reviewed_at=now, note=note.strip(), via=via
    )
    added = reviews.record(review, collapse_since=now - COLLAPSE_WITHIN)
    AuditLog(reviews.db).record(
        AuditEntry(at=now, user=review.reviewer, action=f"review:{via}", query=doc.doc_id)
    )
    return ReviewOutcome(
        doc_id=doc.doc_id,
        title=doc.title,
        review=review,
        freshness=freshness_now(settings, reviews, documents, doc, now),
        collapsed=not added,
    )
