"""A doc owner's own documents and what needs them, most urgent first (``GET /v1/my``, ``/my``). Pure.

The same judgement the owner's digest makes, for one signed-in owner at a time: freshness and
successors as the owner sees them (``AlertRunner.judgements``), digest items built by the
digest's own ``item_for`` and ordered by its ``sort_key`` (most used, then most overdue). What
is added here is only the selection and the order of sections:

1. ``overdue``, 2. ``due_soon`` (``kb.alerts.digest.ALERTED_STATUSES``),
3. ``successors``: inferred successors awaiting the owner's "replaced" / "not replaced"
   (a decided pair is no longer inferred: ``kb.lifecycle.successors.judge``),
4. ``near_duplicates``: copies of the page in other sources,
5. ``secrets``: how many secrets of which kind were redacted at ingest (never a preview),
6. ``negative_feedback``: thumbs down on answers that cited the owner's pages, newest first.

Only documents the caller owns (``kb.identity.same_email``) *and* may read are listed; a
successor, copy or cited page the caller may not read is left out as if it did not exist, and
feedback shows only the question, the comment and which of the caller's pages were cited (the
answer's text and its other sources came from what the asker could read, not the owner).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from kb.alerts.digest import ALERTED_STATUSES, DigestItem, FindingLike, item_for, sort_key
from kb.alerts.successor_question import SuccessorQuestion
from kb.identity import same_email
from kb.lifecycle.breadcrumbs import Breadcrumbs
from kb.lifecycle.successors import Judged
from kb.lifecycle.view import DocView
from kb.records import DocRef, Document, Principal
from kb.search.duplicates import Copy, copies
from kb.store.feedback import Feedback
from kb.store.reviews import Review

# Whole-list order of the caller's documents: what needs action first.
URGENCY = {"overdue": 0, "due_soon": 1, "unknown": 2, "fresh": 3}
LATER = 4  # deprecated, archived, superseded: nothing to review


class DuplicateItem(BaseModel):
    """One of the owner's pages and its copies in other sources that the owner may read."""

    doc_id: str
    title: str
    url: str | None = None
    source: str
    copies: list[Copy]


class SecretKind(BaseModel):
    kind: str = Field(description="what was found, e.g. aws_access_key, private_key, password")
    count: int


class SecretsItem(BaseModel):
    """Secrets redacted from one of the owner's pages at ingest: kinds and counts, never the value."""

    doc_id: str
    title: str
    url: str | None = None
    found: list[SecretKind]


class FeedbackItem(BaseModel):
    """A thumbs down on an answer that cited the owner's pages."""

    at: datetime
    question: str
    comment: str = ""
    cited: list[DocRef] = Field(description="the owner's pages the answer cited")


class OwnerView(BaseModel):
    user: str
    generated_at: datetime
    documents: list[DocView] = Field(description="every page the caller owns and may read, most urgent first")
    overdue: list[DigestItem]
    due_soon: list[DigestItem]
    successors: list[SuccessorQuestion]
    near_duplicates: list[DuplicateItem]
    secrets: list[SecretsItem]
    negative_feedback: list[FeedbackItem]


def owned_by(caller: Principal, docs: Iterable[Document]) -> list[Document]:
    """The documents ``caller`` owns and may read."""
    return [d for d in docs if same_email(d.owner, caller.user) and caller.can_read(d.acl)]


def build_owner_view(
    caller: Principal,
    docs: Sequence[Document],
    judged: Mapping[str, Judged],
    *,
    now: datetime,
    usage: Mapping[str, int] | None = None,
    reviews: Mapping[str, Review] | None = None,
    secrets: Mapping[str, Sequence[FindingLike]] | None = None,
    partners: Mapping[str, Mapping[str, float]] | None = None,
    feedback: Sequence[Feedback] = (),
) -> OwnerView:
    """``docs``: every stored document (records without text); ``judged``: at least the caller's
    own, as their owner sees them."""
    usage, reviews, secrets, partners = usage or {}, reviews or {}, secrets or {}, partners or {}
    by_id = {d.doc_id: d for d in docs}
    readable = {d.doc_id for d in docs if caller.can_read(d.acl)}
    crumbs = Breadcrumbs.of(docs)  # a parent the caller cannot read is no title in a breadcrumb
    mine = [crumbs.view(d, readable.__contains__) for d in owned_by(caller, docs)]
    # judged as the owner's configured principal: a successor this caller cannot read is dropped
    seen = {d.doc_id: _for_caller(judged[d.doc_id], readable) for d in mine}
    items = [
        item_for(d, seen[d.doc_id].freshness, now, usage.get(d.doc_id, 0), reviews.get(d.doc_id))
        for d in mine
        if seen[d.doc_id].freshness.status in ALERTED_STATUSES
    ]
    items = [i.model_copy(update={"successor": _ref(seen[i.doc_id])}) for i in items]
    return OwnerView(
        user=caller.user,
        generated_at=now,
        documents=sorted((_view(d, seen[d.doc_id]) for d in mine), key=_urgency),
        overdue=sorted((i for i in items if i.status == "overdue"), key=sort_key),
        due_soon=sorted((i for i in items if i.status == "due_soon"), key=sort_key),
        successors=_questions(mine, seen),
        near_duplicates=[
            DuplicateItem(doc_id=d.doc_id, title=d.title, url=d.url, source=d.source, copies=same)
            for d in sorted(mine, key=_by_title)
            if (same := copies(d.doc_id, partners, readable, by_id))
        ],
        secrets=[
            SecretsItem(
                doc_id=d.doc_id,
                title=d.title,
                url=d.url,
                found=[SecretKind(kind=k, count=n) for k, n in _kinds(hits)],
            )
            for d in sorted(mine, key=_by_title)
            if (hits := secrets.get(d.doc_id))
        ],
        negative_feedback=_feedback(feedback, {d.doc_id: d for d in mine}),
    )


def _view(doc: Document, j: Judged) -> DocView:
    return DocView.of(doc, j.freshness).model_copy(update={"successor": _ref(j)})


def _urgency(v: DocView) -> tuple[int, int, str, str]:
    return URGENCY.get(v.status, LATER), -(v.overdue_days or 0), v.title.casefold(), v.doc_id


def _kinds(found: Sequence[FindingLike]) -> list[tuple[str, int]]:
    return sorted(Counter(f.kind for f in found).items())


def _by_title(doc: Document) -> tuple[str, str]:
    return doc.title.casefold(), doc.doc_id


def _for_caller(j: Judged, readable: set[str]) -> Judged:
    if j.successor is not None and j.successor.doc_id not in readable:
        return j.model_copy(update={"successor": None})
    return j


def _ref(j: Judged) -> DocRef | None:
    s = j.successor
    if s is None:
        return None
    return DocRef(doc_id=s.doc_id, title=s.title, url=s.url, inferred=s.inferred, reason=s.reason)


def _questions(mine: Sequence[Document], seen: Mapping[str, Judged]) -> list[SuccessorQuestion]:
    """ "Is X replaced by Y?" for each page whose successor is only inferred (nobody decided yet)."""
    out = []
    for doc in mine:
        succ = seen[doc.doc_id].successor
        if succ is None or not succ.inferred:
            continue
        out.append(SuccessorQuestion.of(doc, succ))
    return sorted(out, key=SuccessorQuestion.sort_key)


def _feedback(feedback: Sequence[Feedback], mine: Mapping[str, Document]) -> list[FeedbackItem]:
    out = []
    for fb in feedback:
        cited = [mine[i] for i in dict.fromkeys(fb.doc_ids) if i in mine]
        if fb.rating != "down" or not cited:
            continue
        out.append(
            FeedbackItem(
                at=fb.at,
                question=fb.question,
                comment=fb.comment,
                cited=[DocRef(doc_id=d.doc_id, title=d.title, url=d.url) for d in cited],
            )
        )
    return sorted(out, key=lambda f: f.at, reverse=True)
