"""``GET /v1/docs`` (the documents the caller may read, with freshness) and
``GET /v1/docs/{doc_id}`` (one record with text, freshness, resolution and review history).

A document the caller cannot read gets exactly the same 404 as one that does not exist, so ids
cannot be probed.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kb.answer import SourceRef
from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import InvalidField
from kb.api.schemas import DocDetail, DocList, DocSummary
from kb.errors import NotFoundError
from kb.identity import same_email
from kb.lifecycle.freshness import assess
from kb.lifecycle.status_filter import matches_status, unknown_status
from kb.records import Document, Principal
from kb.runtime import Runtime
from kb.store.alerts import AlertHistory
from kb.store.reviews import ReviewStore

router = APIRouter(prefix="/v1", tags=["docs"])


def _successors(readable: list[Document]) -> dict[str, str]:
    """predecessor id -> successor id, from readable documents' ``supersedes`` lists (a
    successor the caller cannot read must not change what the caller sees)."""
    return {old: doc.doc_id for doc in readable for old in doc.supersedes}


def _readable(runtime: Runtime, principal: Principal, doc_id: str) -> Document:
    doc = runtime.documents.get(doc_id, with_text=True)
    if doc is None or not principal.can_read(doc.acl):
        raise NotFoundError("no such document", subject=doc_id)
    return doc


@router.get("/docs", response_model=DocList)
def list_docs(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    owner: Annotated[str | None, Query(description="Owner email or name")] = None,
    status: Annotated[
        str | None,
        Query(
            description="Document status (active, deprecated, ...) or "
            "freshness status (fresh, due_soon, overdue, ...)"
        ),
    ] = None,
    source: Annotated[Literal["notion", "gdrive"] | None, Query()] = None,
) -> DocList:
    if (problem := unknown_status(status)) is not None:
        raise InvalidField(problem, subject="status")
    now = runtime.clock.now()
    reviewed = ReviewStore(runtime.db).latest_all()
    # Records without text carry the marker excerpt ("this page is deprecated") assess() reads.
    readable = [d for d in runtime.documents.list(source=source) if principal.can_read(d.acl)]
    successors = _successors(
        readable
        if source is None
        else [d for d in runtime.documents.list(with_text=False) if principal.can_read(d.acl)]
    )
    out: list[DocSummary] = []
    for doc in readable:
        if owner is not None and not same_email(doc.owner, owner):
            continue
        fr = assess(
            doc,
            now,
            runtime.settings,
            reviewed_at=reviewed.get(doc.doc_id),
            superseded_by=successors.get(doc.doc_id),
        )
        if not matches_status(status, doc, fr):
            continue
        out.append(DocSummary.build(doc, fr))
    return DocList(count=len(out), counts_by_status=dict(Counter(d.status for d in out)), documents=out)


@router.get("/docs/{doc_id}", response_model=DocDetail)
def get_doc(doc_id: str, runtime: RuntimeDep, principal: CurrentPrincipal) -> DocDetail:
    doc = _readable(runtime, principal, doc_id)
    reviews = ReviewStore(runtime.db)
    latest = reviews.latest(doc_id)
    readable = [d for d in runtime.documents.list(with_text=False) if principal.can_read(d.acl)]
    successor_id = doc.superseded_by or _successors(readable).get(doc_id)
    fr = assess(
        doc,
        runtime.clock.now(),
        runtime.settings,
        reviewed_at=latest.reviewed_at if latest else None,
        superseded_by=successor_id,
    )
    successor = None
    if successor_id:
        nxt = runtime.documents.get(successor_id, with_text=False)
        if nxt is not None and principal.can_read(nxt.acl):
            successor = SourceRef(doc_id=nxt.doc_id, title=nxt.title, url=nxt.url)
    base = DocSummary.build(doc, fr).model_dump()
    return DocDetail(
        **base,
        record=doc.model_dump(mode="json"),
        resolution=doc.resolution,
        successor=successor,
        reviews=reviews.history(doc_id),
        alerts=_alert_history(runtime, doc_id),
    )


def _alert_history(runtime: Runtime, doc_id: str) -> list[dict[str, Any]]:
    """Staleness alerts delivered about the document, newest first."""
    return [a.model_dump(mode="json") for a in AlertHistory(runtime.db).for_doc(doc_id)]
