"""Staleness digests: which documents each owner (or fallback owner) must review. Pure.

Input is what the runner gathered (documents, their freshness, usage counts, FreshKB reviews,
secret findings) plus ``now``; output is one ``Digest`` per recipient. Nothing here reads the
clock, the store or the network.

Who gets what:
- a document that is ``overdue`` or ``due_soon`` goes to its owner (deprecated, archived,
  superseded and unknown documents are never alerted);
- it goes *instead* to the fallback owner when it has no owner or the owner has left (a person
  in ``[[people]]`` with ``active = false``);
- it goes *also* to the fallback owner when it is overdue by more than
  ``alerts.escalate_after_days``, or when the owner is neither a known person nor routed
  explicitly by ``[[alerts.routes]]`` (an unverified address: a typo or a person who was removed);
  team addresses routed explicitly are valid owners;
- the fallback owner is ``fallback_for(doc)`` (``kb.lifecycle.rules.fallback_owner_for``) else
  ``alerts.fallback_owner``. Items nobody can receive are returned as ``unassigned``.

Order of items (``sort_key``): most used first (usage count in the last
``audit.usage_window_days``), then most overdue first (overdue days; a due-soon document counts as
minus the days until it is due), then title, then doc id.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from kb.alerts.successor_question import SuccessorQuestion
from kb.config import Settings
from kb.identity import People, normalize_email
from kb.lifecycle.view import DocView
from kb.records import Document

if TYPE_CHECKING:
    from kb.lifecycle.freshness import Freshness
    from kb.store.reviews import Review

ALERTED_STATUSES = frozenset({"overdue", "due_soon"})

LinkFor = Callable[[str, str], str | None]
"""(doc_id, recipient) -> one-click review URL, or None when links are not configured."""
FallbackFor = Callable[[Document], str | None]


class FindingLike(Protocol):
    kind: str
    line: int
    preview: str


class DigestItem(DocView):
    """A document to review: ``DocView`` (``status`` is overdue or due_soon) with what the digest adds."""

    breadcrumb: str = Field("", description="'Parent / Child / Title'")
    due_in_days: int | None = Field(None, description="whole days until due_at, when due soon")
    last_reviewer: str | None = Field(
        default=None, description="last editor or FreshKB reviewer, whichever is more recent"
    )
    last_reviewer_at: datetime | None = Field(None, description="when last_reviewer reviewed or edited it")
    usage: int = Field(default=0, description="times returned in the last usage window")
    review_url: str | None = None
    escalation: str | None = Field(default=None, description="why a non-owner receives this item")

    @property
    def lateness(self) -> int:
        """Days overdue; negative days until due for a due-soon document."""
        if self.status == "overdue":
            return self.overdue_days or 0
        return -(self.due_in_days or 0)


class SecretItem(BaseModel):
    doc_id: str
    title: str
    url: str | None = None
    kind: str
    line: int
    preview: str


class Digest(BaseModel):
    recipient: str
    recipient_name: str | None = None
    generated_at: datetime
    usage_window_days: int
    items: list[DigestItem] = Field(default_factory=list, description="the recipient's own documents")
    escalations: list[DigestItem] = Field(
        default_factory=list, description="documents escalated to the recipient as fallback owner"
    )
    secrets: list[SecretItem] = Field(default_factory=list)
    successors: list[SuccessorQuestion] = Field(
        default_factory=list, description='"Is X replaced by Y?" about the recipient\'s pages'
    )

    @property
    def all_items(self) -> list[DigestItem]:
        return [*self.items, *self.escalations]

    def is_empty(self) -> bool:
        return not (self.items or self.escalations or self.secrets or self.successors)


class DigestBatch(BaseModel):
    digests: list[Digest] = Field(default_factory=list)
    unassigned: list[DigestItem] = Field(
        default_factory=list, description="items with no owner and no fallback owner"
    )


def sort_key(item: DigestItem) -> tuple[int, int, str, str]:
    return (-item.usage, -item.lateness, item.title.casefold(), item.doc_id)


def explicitly_routed(owner: str, settings: Settings) -> bool:
    return any(r.owner.lower() == owner.lower() for r in settings.alerts.routes if r.owner != "*")


def owner_problem(owner: str | None, people: People, settings: Settings) -> tuple[str, bool] | None:
    """Why the owner cannot (only) be trusted with the alert: (reason, instead_of_owner)."""
    if not owner or not owner.strip():
        return "document has no owner", True
    if people.is_known(owner):
        return None if people.is_active(owner) else (f"owner {owner} has left", True)
    if explicitly_routed(owner, settings):
        return None
    if settings.people:
        return f"owner {owner} is not in the people table", False
    return None


def _days_until(due_at: datetime | None, now: datetime) -> int | None:
    if due_at is None:
        return None
    return max(0, math.ceil((due_at - now).total_seconds() / 86400))


def _last_reviewer(doc: Document, review: Review | None) -> tuple[str | None, datetime | None]:
    edit = (doc.last_edited_at, doc.last_edited_by) if doc.last_edited_by else (None, None)
    if review is not None and (edit[0] is None or review.reviewed_at >= edit[0]):
        return review.reviewer, review.reviewed_at
    return edit[1], edit[0]


def item_for(doc: Document, fr: Freshness, now: datetime, usage: int, review: Review | None) -> DigestItem:
    reviewer, reviewed_at = _last_reviewer(doc, review)
    return DigestItem.of(
        doc,
        fr,
        breadcrumb=doc.breadcrumb,
        due_in_days=_days_until(fr.due_at, now) if fr.status == "due_soon" else None,
        last_reviewer=reviewer,
        last_reviewer_at=reviewed_at,
        usage=usage,
    )


def build_digests(
    docs: Sequence[Document],
    assessments: Mapping[str, Freshness],
    *,
    now: datetime,
    settings: Settings,
    people: People,
    usage: Mapping[str, int] | None = None,
    reviews: Mapping[str, Review] | None = None,
    secrets: Mapping[str, Sequence[FindingLike]] | None = None,
    link_for: LinkFor | None = None,
    fallback_for: FallbackFor | None = None,
) -> DigestBatch:
    """One digest per recipient, recipients in alphabetical order."""
    usage, reviews, secrets = usage or {}, reviews or {}, secrets or {}
    own: dict[str, list[DigestItem]] = {}
    escalated: dict[str, list[DigestItem]] = {}
    found: dict[str, list[SecretItem]] = {}
    unassigned: list[DigestItem] = []

    def fallback(doc: Document) -> str | None:
        chosen = (fallback_for(doc) if fallback_for else None) or settings.alerts.fallback_owner
        return normalize_email(chosen) if chosen and chosen.strip() else None

    def link(item: DigestItem, recipient: str) -> DigestItem:
        return item.model_copy(update={"review_url": link_for(item.doc_id, recipient) if link_for else None})

    for doc in docs:
        owner = normalize_email(doc.owner) if doc.owner and doc.owner.strip() else None
        problem = owner_problem(owner, people, settings)
        fr = assessments.get(doc.doc_id)
        if fr is not None and fr.status in ALERTED_STATUSES:
            base = item_for(doc, fr, now, usage.get(doc.doc_id, 0), reviews.get(doc.doc_id))
            reasons: list[str] = []
            instead = False
            if problem:
                reasons.append(problem[0])
                instead = problem[1]
            limit = settings.alerts.escalate_after_days
            if fr.status == "overdue" and (fr.overdue_days or 0) > limit:
                reasons.append(f"overdue {fr.overdue_days} days (escalates after {limit})")
            if owner and not instead:
                own.setdefault(owner, []).append(link(base, owner))
            if reasons:
                target = fallback(doc)
                why = "; ".join(reasons)
                if target and target != owner:
                    escalated.setdefault(target, []).append(
                        link(base, target).model_copy(update={"escalation": why})
                    )
                elif not owner or instead:
                    unassigned.append(base.model_copy(update={"escalation": why}))
        # Secrets go to whoever is responsible for the document, whatever its status.
        holder = owner if owner and not (problem and problem[1]) else fallback(doc)
        if holder:
            found.setdefault(holder, []).extend(
                SecretItem(
                    doc_id=doc.doc_id,
                    title=doc.title,
                    url=doc.url,
                    kind=f.kind,
                    line=f.line,
                    preview=f.preview,
                )
                for f in secrets.get(doc.doc_id, ())
            )

    digests = []
    for recipient in sorted({*own, *escalated, *found}):
        digest = Digest(
            recipient=recipient,
            recipient_name=people.name_of(recipient),
            generated_at=now,
            usage_window_days=settings.audit.usage_window_days,
            items=sorted(own.get(recipient, []), key=sort_key),
            escalations=sorted(escalated.get(recipient, []), key=sort_key),
            secrets=sorted(found.get(recipient, []), key=lambda s: (s.title.casefold(), s.line)),
        )
        if not digest.is_empty():
            digests.append(digest)
    return DigestBatch(digests=digests, unassigned=sorted(unassigned, key=sort_key))
