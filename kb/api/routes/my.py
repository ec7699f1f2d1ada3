"""``GET /v1/my``: the caller's own pages and what needs them, most urgent first (the ``/my`` page).

Owner = the caller's normalised email (``kb.identity``); only pages the caller may read. The
actions the page offers are the existing routes: ``POST /v1/docs/{id}/review`` and
``POST /v1/docs/{id}/successor`` (owner or admin only).
"""

from __future__ import annotations

from fastapi import APIRouter

from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.schemas import MyResponse

router = APIRouter(prefix="/v1", tags=["my"])


@router.get("/my", response_model=MyResponse, responses=error_responses(401, 500, 503))
def my_documents(runtime: RuntimeDep, principal: CurrentPrincipal) -> MyResponse:
    """Overdue, due soon, inferred successors to confirm, near-duplicates, secrets found (kinds
    and counts) and negative feedback on answers that cited the caller's pages."""
    return MyResponse.from_view(runtime.owner_view(principal))
