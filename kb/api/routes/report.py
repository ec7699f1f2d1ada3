"""``GET /v1/report``: the knowledge report, admins only (403 for anyone else); the platform
team's page ``/admin`` (``kb.api.routes.pages``) loads it with the token kept in the tab."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.errors import PermissionDenied
from kb.insights.report import Report

router = APIRouter(tags=["report"])


@router.get(
    "/v1/report",
    response_model=Report,
    summary="Knowledge report (admins only)",
    responses=error_responses(401, 403, 500, 503),
)
def report(runtime: RuntimeDep, principal: CurrentPrincipal) -> Report:
    """Health by space, team and owner with the daily trend, knowledge gaps, the stale-citation
    rate per week, the most used documents and near-duplicates; records today's snapshot. It
    covers every document, so only admins may read it."""
    if not principal.admin:
        raise PermissionDenied("the knowledge report is for admins only", subject="/v1/report")
    return runtime.report()
