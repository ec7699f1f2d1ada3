"""``POST /v1/ask``: an answer with numbered citations and freshness warnings."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api import actions
from kb.api.deps import AnswererDep, AuditDep, CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.schemas import AskRequest, AskResponse

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses=error_responses(400, 401, 422, 500, 502, 503))
def ask(
    body: AskRequest, runtime: RuntimeDep, principal: CurrentPrincipal, audit: AuditDep, answerer: AnswererDep
) -> AskResponse:
    return actions.ask(runtime, audit, answerer, principal, body.question, body.top_k)
