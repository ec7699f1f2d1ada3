"""``GET /healthz`` (liveness, no auth, reveals nothing) and ``GET /`` (the web page)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from kb.api.page import page_response

router = APIRouter()


@router.get("/healthz", tags=["health"], summary="Liveness; needs no token")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def index() -> HTMLResponse:
    return page_response()
