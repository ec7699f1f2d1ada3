"""``POST /v1/search``: ranked documents (metadata, freshness, snippets), never full texts."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api import actions
from kb.api.deps import AuditDep, CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.schemas import SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchResponse, responses=error_responses(400, 401, 422, 500, 503))
def search(
    body: SearchRequest, runtime: RuntimeDep, principal: CurrentPrincipal, audit: AuditDep
) -> SearchResponse:
    field = "question" if body.question is not None else "query"
    return actions.search(runtime, audit, principal, body.text, body.top_k, field=field)
