"""Reviews: ``POST /v1/docs/{doc_id}/review`` (owner or admin, bearer token) and the one-click
link from digests, ``GET /v1/review?token=...`` (a confirm page) + ``POST`` to the same URL.

The link's GET only shows a page, so mail scanners that prefetch links record nothing; the POST
records the review as the person the link was signed for, once: a replayed link records
nothing and says when it was used. Bad links get a plain page that says the link is expired or
invalid and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from kb.alerts.links import LinkExpired, ReviewClaim, ReviewLinks
from kb.alerts.review import ReviewOutcome, confirm_review, freshness_now, load_doc, may_review
from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.page import CSS_URL
from kb.errors import ConfigError, KBError, NotFoundError, PermissionDenied
from kb.identity import principal_for_user
from kb.lifecycle.breadcrumbs import Breadcrumbs
from kb.records import Document
from kb.runtime import Runtime
from kb.store.review_links import UsedLinks

router = APIRouter(prefix="/v1", tags=["reviews"])

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


MY_LINK = '<p class="hint">Everything you own, most urgent first: <a href="/my">My documents</a>.</p>'


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", description="Optional note, e.g. what was checked")


@router.post(
    "/docs/{doc_id}/review",
    response_model=ReviewOutcome,
    responses=error_responses(400, 401, 403, 404, 422, 500, 503),
)
def review_doc(
    doc_id: str, runtime: RuntimeDep, principal: CurrentPrincipal, body: ReviewRequest | None = None
) -> ReviewOutcome:
    """Confirm the document is still accurate. Owner or admin only (others get 403)."""
    try:
        doc = load_doc(runtime.documents, doc_id)
    except NotFoundError:
        raise NotFoundError("no such document", subject=doc_id) from None
    if not principal.can_read(doc.acl):
        raise NotFoundError("no such document", subject=doc_id)  # same 404 as a missing doc
    if not may_review(principal, doc):
        raise PermissionDenied("only the document's owner or an admin may review it", subject=doc_id)
    return confirm_review(
        runtime.settings,
        runtime.reviews,
        runtime.documents,
        runtime.clock,
        doc,
        principal.user,
        note=body.note if body else "",
        via="api",
    )


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A one-click page in the look of FreshKB's other pages (``/static/freshkb.css``), with no
    script: its one button is a plain form POST."""
    tone = " bad" if status >= 400 else ""
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · FreshKB</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{CSS_URL}"></head>'
        f'<body><main class="panel{tone}"><p class="meta">FreshKB</p><h1>{escape(title)}</h1>{body}'
        "</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _error_page(err: KBError) -> HTMLResponse:
    if isinstance(err, LinkExpired):
        return _page(
            "Review link expired",
            "<p>This review link has expired. Use the link in "
            "your latest FreshKB digest, or review the document in FreshKB.</p>",
            400,
        )
    if isinstance(err, NotFoundError):
        return _page("Document not found", "<p>This document is no longer in FreshKB.</p>", 404)
    if isinstance(err, ConfigError):
        return _page(
            "Review links unavailable", "<p>Review links are not configured on this FreshKB service.</p>", 503
        )
    return _page("Invalid review link", "<p>This review link is not valid.</p>", 403)


def _claim(runtime: Runtime, token: str) -> tuple[ReviewClaim, Document]:
    links = ReviewLinks(runtime.settings)
    claim = links.verify(token, runtime.clock.now())
    return claim, load_doc(runtime.documents, claim.doc_id)


def _breadcrumb(runtime: Runtime, doc: Document, owner: str) -> str:
    """``doc``'s breadcrumb as the link's owner may see it (``kb.lifecycle.breadcrumbs``)."""
    reader = principal_for_user(owner, runtime.settings.auth)
    everything = runtime.documents.list()
    can_read = {d.doc_id for d in everything if reader.can_read(d.acl)}
    return Breadcrumbs.of(everything).view(doc, can_read.__contains__).breadcrumb


TokenQuery = Annotated[str, Query(max_length=4096, description="Signed token from a digest")]


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(token: TokenQuery, runtime: RuntimeDep) -> HTMLResponse:
    try:
        claim, doc = _claim(runtime, token)
    except KBError as err:
        return _error_page(err)
    used = UsedLinks(runtime.db).used_at(token)
    if used is not None:
        return _used_page(doc, used)
    fr = freshness_now(runtime.settings, runtime.reviews, runtime.documents, doc, runtime.clock.now())
    body = (
        f'<p><strong>{escape(doc.title)}</strong><span class="badge b-{escape(fr.status)}">'
        f"{escape(fr.status.replace('_', ' '))}</span><br>"
        f'<span class="meta">{escape(_breadcrumb(runtime, doc, claim.owner))}</span></p>'
        f'<p class="hint">Why: {escape("; ".join(fr.reasons))}</p>'
        f"<p>Confirm as <strong>{escape(claim.owner)}</strong> that this document is still "
        "accurate?</p>"
        '<form method="post"><button type="submit">Yes, still accurate</button></form>'
    )
    return _page("Confirm review", body)


@router.post("/review", response_class=HTMLResponse, include_in_schema=False)
def review_confirm(token: TokenQuery, runtime: RuntimeDep) -> HTMLResponse:
    try:
        claim, doc = _claim(runtime, token)
    except KBError as err:
        return _error_page(err)
    used = UsedLinks(runtime.db).claim(token, doc.doc_id, runtime.clock.now())
    if used is not None:
        return _used_page(doc, used)
    outcome = confirm_review(
        runtime.settings, runtime.reviews, runtime.documents, runtime.clock, doc, claim.owner, via="link"
    )
    due = f" Next review due {outcome.freshness.due_at:%Y-%m-%d}." if outcome.freshness.due_at else ""
    return _page(
        "Thanks: review recorded",
        f"<p><strong>{escape(doc.title)}</strong> is marked "
        f"{escape(outcome.freshness.status.replace('_', ' '))}.{escape(due)}</p>{MY_LINK}",
    )


def _used_page(doc: Document, used: datetime) -> HTMLResponse:
    return _page(
        "Review link already used",
        f"<p>This link already recorded a review of <strong>{escape(doc.title)}</strong> on "
        f"{used:%Y-%m-%d %H:%M} UTC; nothing new was recorded. Each link records one review.</p>",
    )
