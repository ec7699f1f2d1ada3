"""Recording "still accurate" reviews: who may, and what the document's freshness becomes.

Shared by ``POST /v1/docs/{id}/review``, the one-click link page and ``kb review``. The review is
kept in ``kb.store.reviews``; ``kb.lifecycle.freshness.assess(reviewed_at=...)`` decides how long it counts
(until the source shows a newer edit or review date).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kb.auth import principal_for
from kb.errors import BadRequest, NotFoundError
from kb.lifecycle.freshness import Freshness
from kb.lifecycle.successors import Relations, judge
from kb.records import Document, Principal
from kb.runtime import Runtime
from kb.store.reviews import Review, ReviewStore

MAX_NOTE_CHARS = 2000


class ReviewOutcome(BaseModel):
    doc_id: str
    title: str
    review: Review
    freshness: Freshness = Field(description="the document's freshness right after the review")


def may_review(principal: Principal, doc: Document) -> bool:
    """The document's owner or an admin."""
    if principal.admin:
        return True
    return bool(doc.owner) and doc.owner.strip().lower() == principal.user.strip().lower()  # type: ignore[union-attr]


def load_doc(runtime: Runtime, doc_id: str) -> Document:
    doc = runtime.documents.get(doc_id, with_text=True)
    if doc is None:
        raise NotFoundError("no such document", subject=doc_id)
    return doc


def freshness_now(
    runtime: Runtime, doc: Document, now: datetime | None = None, reader: Principal | None = None
) -> Freshness:
    """``doc``'s freshness for ``reader`` (default: its owner), the same judgement search and
    ``GET /v1/docs`` make (``kb.lifecycle.successors.judge``)."""
    latest = ReviewStore(runtime.db).latest(doc.doc_id)
    who = reader or principal_for(doc.owner or "", runtime.settings.auth)
    docs = [d for d in runtime.documents.list(with_text=False) if who.can_read(d.acl)]
    readable = {d.doc_id for d in docs}
    return judge(
        doc,
        now or runtime.clock.now(),
        runtime.settings,
        relations=Relations.of(docs),
        readable=readable.__contains__,
        reviewed_at=latest.reviewed_at if latest else None,
    ).freshness


def confirm_review(
    runtime: Runtime, doc: Document, reviewer: str, *, note: str = "", via: str = "api"
) -> ReviewOutcome:
    """Record that ``reviewer`` confirmed ``doc`` accurate now; return its new freshness."""
    if len(note) > MAX_NOTE_CHARS:
        raise BadRequest(f"note is {len(note)} characters; the limit is {MAX_NOTE_CHARS}", subject="note")
    now = runtime.clock.now()
    review = Review(
        doc_id=doc.doc_id, reviewer=reviewer.strip().lower(), reviewed_at=now, note=note.strip(), via=via
    )
    ReviewStore(runtime.db).record(review)
    return ReviewOutcome(
        doc_id=doc.doc_id, title=doc.title, review=review, freshness=freshness_now(runtime, doc, now)
    )
