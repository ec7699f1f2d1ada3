"""``POST /v1/ask``: an answer with numbered citations and freshness warnings."""

from __future__ import annotations

from time import perf_counter

from fastapi import APIRouter

from kb.api.deps import AnswererDep, AuditDep, CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.schemas import AskRequest, AskResponse, check_limits

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses=error_responses(400, 401, 422, 500, 502, 503))
def ask(
    body: AskRequest, runtime: RuntimeDep, principal: CurrentPrincipal, audit: AuditDep, answerer: AnswererDep
) -> AskResponse:
    check_limits("question", body.question, body.top_k, runtime.settings.api)
    started = perf_counter()
    with audit.call(principal, "ask", body.question) as call:
        result = runtime.retriever.search(body.question, principal, top_k=body.top_k, now=runtime.clock.now())
        answer = answerer.answer(body.question, result)
        call.doc_ids = [c.doc_id for c in answer.citations]
    return AskResponse(
        answer=answer.text,
        citations=answer.citations,
        warnings=answer.warnings,
        answerer=answer.answerer,
        took_ms=round((perf_counter() - started) * 1000, 1),
    )
