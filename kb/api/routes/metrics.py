"""``GET /metrics``: Prometheus exposition. Any valid token may scrape (the metrics hold no
document data); requiring an admin token would hand the scraper the power to read everything."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kb.api.deps import CurrentPrincipal
from kb.api.errors import error_responses

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (any valid token)",
    responses=error_responses(401, 500, 503),
)
def metrics(request: Request, _: CurrentPrincipal) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
