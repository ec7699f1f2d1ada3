"""``POST /v1/search``: ranked documents (metadata, freshness, snippets), never full texts."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api.deps import AuditDep, CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.schemas import SearchRequest, SearchResponse, check_limits

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchResponse, responses=error_responses(400, 401, 422, 500, 503))
def search(
    body: SearchRequest, runtime: RuntimeDep, principal: CurrentPrincipal, audit: AuditDep
) -> SearchResponse:
    field = "question" if body.question is not None else "query"
    check_limits(field, body.text, body.top_k, runtime.settings.api)
    with audit.call(principal, "search", body.text) as call:
        result = runtime.retriever.search(body.text, principal, top_k=body.top_k, now=runtime.clock.now())
        call.doc_ids = [h.doc.doc_id for h in result.hits]
    return SearchResponse.from_result(result)
