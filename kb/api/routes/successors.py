"""Successors and owners' decisions: ``GET /v1/successors`` (inferred and decided pairs the
caller may read both pages of), ``POST /v1/docs/{doc_id}/successor`` (the owner or an admin
answers "Is this page replaced by that one?"), and the one-click links from digests,
``GET /v1/successor-decision?token=...`` (a confirm page) + ``POST`` to the same URL.

As with review links, the GET only shows a page (mail scanners that prefetch links decide
nothing); the POST records the answer as the person the link was signed for, once: a replayed
link records nothing and says when it was used. The signer must still own the page (or be an
admin) when the link is used. Bad links get a plain page and never a 500.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from kb.alerts.decision_links import DecisionClaim, DecisionLinks
from kb.alerts.links import LinkExpired
from kb.alerts.successor_review import SuccessorItem, decide, may_decide, successor_items
from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.routes.reviews import MY_LINK, _page
from kb.errors import ConfigError, KBError, NotFoundError, PermissionDenied
from kb.identity import principal_for_user
from kb.records import Document, Principal
from kb.runtime import Runtime
from kb.store.review_links import UsedLinks
from kb.store.successor_decisions import SuccessorDecision, Verdict

router = APIRouter(prefix="/v1", tags=["successors"])

_SAID = {"replaced": "is replaced by", "not_replaced": "is not replaced by"}


class SuccessorList(BaseModel):
    count: int
    items: list[SuccessorItem]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    successor_id: str = Field(description="Id of the page that may replace this one")
    decision: Verdict = Field(description="replaced, or not_replaced")


@router.get("/successors", response_model=SuccessorList, responses=error_responses(401, 422, 500, 503))
def list_successors(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    pending: Annotated[bool, Query(description="Only inferred successors nobody has decided yet")] = False,
) -> SuccessorList:
    """Inferred successors and owners' decisions about pages the caller may read (both pages)."""
    items = successor_items(runtime.db, runtime.documents, principal, pending=pending)
    return SuccessorList(count=len(items), items=items)


@router.post(
    "/docs/{doc_id}/successor",
    response_model=SuccessorDecision,
    responses=error_responses(400, 401, 403, 404, 409, 422, 500, 503),
)
def decide_successor(
    doc_id: str, body: DecisionRequest, runtime: RuntimeDep, principal: CurrentPrincipal
) -> SuccessorDecision:
    """Answer "Is this page replaced by ``successor_id``?". Owner of the page or admin only
    (others get 403); either page unreadable or missing: 404."""
    return decide(
        runtime.db, runtime.documents, runtime.clock, principal, doc_id, body.successor_id, body.decision
    )


# -- one-click links from digests ----------------------------------------------------------------


def _error_page(err: KBError) -> HTMLResponse:
    if isinstance(err, LinkExpired):
        return _page(
            "Decision link expired",
            "<p>This link has expired. Use the links in your latest FreshKB digest.</p>",
            400,
        )
    if isinstance(err, NotFoundError):
        return _page("Document not found", "<p>This page is no longer in FreshKB.</p>", 404)
    if isinstance(err, ConfigError):
        return _page(
            "Decision links unavailable", "<p>Links are not configured on this FreshKB service.</p>", 503
        )
    if isinstance(err, PermissionDenied) and not err.message.startswith("this decision link"):
        return _page("Not yours to decide", f"<p>{escape(err.message)}.</p>", 403)
    return _page("Invalid decision link", "<p>This decision link is not valid.</p>", 403)


def _claim(runtime: Runtime, token: str) -> tuple[DecisionClaim, Principal, Document, Document]:
    """The claim, who it was signed for (as they may act now), and the two pages."""
    claim = DecisionLinks(runtime.settings).verify_decision(token, runtime.clock.now())
    who = principal_for_user(claim.owner, runtime.settings.auth)
    pages = []
    for doc_id in (claim.doc_id, claim.successor_id):
        doc = runtime.documents.get(doc_id, with_text=False)
        if doc is None or not who.can_read(doc.acl):
            raise NotFoundError("no such document", subject=doc_id)
        pages.append(doc)
    if not may_decide(who, pages[0]):
        raise PermissionDenied(
            "this page has a new owner; only its owner or an admin may decide", subject=claim.doc_id
        )
    return claim, who, pages[0], pages[1]


TokenQuery = Annotated[str, Query(max_length=4096, description="Signed token from a digest")]


@router.get("/successor-decision", response_class=HTMLResponse, include_in_schema=False)
def decision_page(token: TokenQuery, runtime: RuntimeDep) -> HTMLResponse:
    try:
        claim, _, old, new = _claim(runtime, token)
    except KBError as err:
        return _error_page(err)
    used = UsedLinks(runtime.db).used_at(token)
    if used is not None:
        return _used_page(old, new, used)
    body = (
        f"<p>Is <strong>{escape(old.title)}</strong> replaced by <strong>{escape(new.title)}</strong>?</p>"
        f"<p>Answer as <strong>{escape(claim.owner)}</strong> that <em>{escape(old.title)}</em> "
        f"{_SAID[claim.decision]} <em>{escape(new.title)}</em>?</p>"
        f'<form method="post"><button type="submit">Yes, it {_SAID[claim.decision]} it</button></form>'
    )
    return _page("Confirm your answer", body)


@router.post("/successor-decision", response_class=HTMLResponse, include_in_schema=False)
def decision_confirm(token: TokenQuery, runtime: RuntimeDep) -> HTMLResponse:
    try:
        claim, who, old, new = _claim(runtime, token)
        used = UsedLinks(runtime.db).claim(token, old.doc_id, runtime.clock.now())
        if used is not None:
            return _used_page(old, new, used)
        decide(
            runtime.db,
            runtime.documents,
            runtime.clock,
            who,
            old.doc_id,
            new.doc_id,
            claim.decision,
            via="link",
        )
    except KBError as err:
        return _error_page(err)
    return _page(
        "Thanks: answer recorded",
        f"<p><strong>{escape(old.title)}</strong> {_SAID[claim.decision]} "
        f"<strong>{escape(new.title)}</strong>. Search and digests use this from now on.</p>{MY_LINK}",
    )


def _used_page(old: Document, new: Document, used: datetime) -> HTMLResponse:
    return _page(
        "Decision link already used",
        f"<p>This link already recorded an answer about <strong>{escape(old.title)}</strong> and "
        f"<strong>{escape(new.title)}</strong> on {used:%Y-%m-%d %H:%M} UTC; nothing new was "
        "recorded. Each link records one answer.</p>",
    )
