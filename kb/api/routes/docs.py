"""``GET /v1/docs`` (the documents the caller may read, with freshness) and
``GET /v1/docs/{doc_id}`` (one record with text, freshness, resolution and review history).

A document the caller cannot read gets exactly the same 404 as one that does not exist, so ids
cannot be probed.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import InvalidField, error_responses
from kb.api.schemas import DocDetail, DocList, DocSummary
from kb.errors import NotFoundError
from kb.identity import same_email
from kb.lifecycle.breadcrumbs import Breadcrumbs
from kb.lifecycle.evidence import SuccessorEvidence
from kb.lifecycle.status_filter import matches_status, unknown_status
from kb.lifecycle.successors import Judged, Relations, judge_all, visible_record
from kb.records import Document, Principal
from kb.runtime import Runtime
from kb.search.duplicates import copies
from kb.store.alerts import AlertHistory
from kb.store.duplicates import NearDuplicates
from kb.store.reviews import ReviewStore

router = APIRouter(prefix="/v1", tags=["docs"])


def _judged(
    runtime: Runtime, principal: Principal, docs: list[Document], everything: list[Document]
) -> dict[str, Judged]:
    """Freshness and successor of ``docs`` for this caller (``kb.lifecycle.successors``): a
    successor the caller cannot read does not exist for them. ``everything``: every record."""
    readable = {d.doc_id for d in everything if principal.can_read(d.acl)}
    evidence = SuccessorEvidence.load(runtime.db, {d.doc_id: d for d in everything})
    return judge_all(
        docs,
        runtime.clock.now(),
        runtime.settings,
        relations=Relations.of(d for d in everything if d.doc_id in readable),
        readable=readable.__contains__,
        reviewed=ReviewStore(runtime.db).latest_all(),
        decisions=evidence.decisions,
        inferred=evidence.inferred,
    )


def _readable(runtime: Runtime, principal: Principal, doc_id: str) -> Document:
    doc = runtime.documents.get(doc_id, with_text=True)
    if doc is None or not principal.can_read(doc.acl):
        raise NotFoundError("no such document", subject=doc_id)
    return doc


@router.get("/docs", response_model=DocList, responses=error_responses(401, 422, 500, 503))
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
    # Records without text carry the marker excerpt ("this page is deprecated") assess() reads.
    everything = runtime.documents.list(with_text=False)  # text = the marker excerpt
    readable = [d for d in everything if principal.can_read(d.acl) and source in (None, d.source)]
    judged = _judged(runtime, principal, readable, everything)
    crumbs, can_read = Breadcrumbs.of(everything), {d.doc_id for d in everything if principal.can_read(d.acl)}
    out: list[DocSummary] = []
    for doc in readable:
        if owner is not None and not same_email(doc.owner, owner):
            continue
        j = judged[doc.doc_id]
        if not matches_status(status, doc, j.freshness):
            continue
        out.append(DocSummary.build(crumbs.view(doc, can_read.__contains__), j.freshness, j.successor))
    return DocList(count=len(out), counts_by_status=dict(Counter(d.status for d in out)), documents=out)


@router.get("/docs/{doc_id}", response_model=DocDetail, responses=error_responses(401, 404, 500, 503))
def get_doc(doc_id: str, runtime: RuntimeDep, principal: CurrentPrincipal) -> DocDetail:
    doc = _readable(runtime, principal, doc_id)
    records = runtime.documents.list(with_text=False)
    judged = _judged(runtime, principal, [doc], records)[doc_id]
    everything = {d.doc_id: d for d in records}
    can_read = {i for i, d in everything.items() if principal.can_read(d.acl)}
    crumbs = Breadcrumbs.of(everything.values())
    record = visible_record(doc, can_read.__contains__, runtime.settings, breadcrumbs=crumbs, keep_text=True)
    partners = {doc_id: NearDuplicates(runtime.db).of(doc_id)}
    return DocDetail.build(
        record,
        judged.freshness,
        judged.successor,
        record=record.model_dump(mode="json"),
        resolution=doc.resolution,
        reviews=ReviewStore(runtime.db).history(doc_id),
        near_duplicates=copies(doc_id, partners, can_read, everything),
        alerts=_alert_history(runtime, doc_id),
    )


def _alert_history(runtime: Runtime, doc_id: str) -> list[dict[str, Any]]:
    """Staleness alerts delivered about the document, newest first."""
    return [a.model_dump(mode="json") for a in AlertHistory(runtime.db).for_doc(doc_id)]
