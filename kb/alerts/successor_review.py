"""Owners decide: "Is X replaced by Y?" answered *replaced* or *not replaced*, and the list of
inferred successors with where each stands.

Shared by ``POST /v1/docs/{id}/successor``, the one-click links in digests and ``kb successors``.
Only the older page's owner or an admin may decide, and only about pages they may read (a page
they cannot read gets the same "no such document" as one that does not exist). The decision is
kept in ``kb.store.successor_decisions`` and written to the audit log; from then on every view
uses it through ``kb.lifecycle.evidence`` ("replaced" acts like a stated link, "not replaced"
suppresses the inference).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kb.alerts.review import may_review
from kb.clock import Clock
from kb.errors import Conflict, NotFoundError, PermissionDenied
from kb.identity import normalize_email
from kb.records import Document, Principal
from kb.store.audit import AuditEntry, AuditLog
from kb.store.db import Database
from kb.store.documents import DocumentStore
from kb.store.inferred_successors import InferredSuccessors
from kb.store.successor_decisions import SuccessorDecision, SuccessorDecisions, Verdict

State = Literal["pending", "replaced", "not_replaced"]


class SuccessorItem(BaseModel):
    """One "Is ``title`` replaced by ``successor_title``?" question and where it stands."""

    doc_id: str
    title: str
    owner: str | None
    successor_id: str
    successor_title: str
    inferred: bool = Field(description="found by inference at ingest (False: only an owner said so)")
    confidence: float | None = Field(None, description="the inference's confidence")
    reason: str = Field("", description="why it was inferred, in plain words")
    state: State = Field(description="pending (nobody decided), replaced or not_replaced")
    decided_by: str | None = None
    decided_at: datetime | None = None


def may_decide(principal: Principal, doc: Document) -> bool:
    """The older page's owner or an admin (the same rule as reviews)."""
    return may_review(principal, doc)


def _readable(documents: DocumentStore, principal: Principal, doc_id: str) -> Document:
    doc = documents.get(doc_id, with_text=False)
    if doc is None or not principal.can_read(doc.acl):
        raise NotFoundError("no such document", subject=doc_id)
    return doc


def decide(
    db: Database,
    documents: DocumentStore,
    clock: Clock,
    principal: Principal,
    doc_id: str,
    successor_id: str,
    decision: Verdict,
    *,
    via: str = "api",
) -> SuccessorDecision:
    """Record ``principal``'s answer to "Is ``doc_id`` replaced by ``successor_id``?"."""
    doc = _readable(documents, principal, doc_id)  # first: an unreadable page answers as a missing one
    try:
        _readable(documents, principal, successor_id)
    except NotFoundError:
        # Named by the field, not the id: the caller typed it, but an error body must not carry
        # an id the caller may not read (the same answer as for an id that does not exist).
        raise NotFoundError("no such document", subject="successor_id") from None
    if doc_id == successor_id:
        raise Conflict("a page cannot replace itself", subject="successor_id")
    if not may_decide(principal, doc):
        raise PermissionDenied(
            "only the page's owner or an admin may decide what replaces it", subject=doc_id
        )
    now = clock.now()
    record = SuccessorDecision(
        doc_id=doc_id,
        successor_id=successor_id,
        decision=decision,
        decided_by=normalize_email(principal.user),
        decided_at=now,
        via=via,
    )
    SuccessorDecisions(db).record(record)
    AuditLog(db).record(
        AuditEntry(
            at=now,
            user=record.decided_by,
            action=f"successor:{decision}:{via}",
            query=doc_id,
            doc_ids=[doc_id, successor_id],
        )
    )
    return record


def successor_items(
    db: Database, documents: DocumentStore, principal: Principal, *, pending: bool = False
) -> list[SuccessorItem]:
    """Inferred and decided successor pairs whose two pages ``principal`` may read, with their
    state; ``pending``: only inferred pairs nobody has decided yet."""
    docs = {d.doc_id: d for d in documents.list(with_text=False) if principal.can_read(d.acl)}
    decided = {(d.doc_id, d.successor_id): d for d in SuccessorDecisions(db).latest()}
    out: dict[tuple[str, str], SuccessorItem | None] = {}
    for row in InferredSuccessors(db).all():
        pair = (row.doc_id, row.successor_id)
        out[pair] = _item(docs, pair, decided.get(pair), row.confidence, row.reason)
    for pair, d in decided.items():
        if pair not in out:
            out[pair] = _item(docs, pair, d, None, "")
    items = [i for i in out.values() if i is not None and (not pending or i.state == "pending")]
    return sorted(items, key=lambda i: (i.doc_id, -(i.confidence or 0.0), i.successor_id))


def _item(
    docs: dict[str, Document],
    pair: tuple[str, str],
    decided: SuccessorDecision | None,
    confidence: float | None,
    reason: str,
) -> SuccessorItem | None:
    old, new = docs.get(pair[0]), docs.get(pair[1])
    if old is None or new is None:
        return None  # a page the reader cannot read (or one that is gone) is not mentioned
    return SuccessorItem(
        doc_id=old.doc_id,
        title=old.title,
        owner=old.owner,
        successor_id=new.doc_id,
        successor_title=new.title,
        inferred=confidence is not None,
        confidence=confidence,
        reason=reason,
        state=decided.decision if decided else "pending",
        decided_by=decided.decided_by if decided else None,
        decided_at=decided.decided_at if decided else None,
    )
