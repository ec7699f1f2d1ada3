"""``GET /healthz`` (liveness), ``GET /readyz`` (readiness), both without auth and revealing nothing
about the content (the web pages are in ``kb.api.routes.pages``).

Liveness only says the process answers HTTP. Readiness runs one real search (the model, the
store, the dense index and BM25) as a principal who can read nothing but open documents, and
answers 503 naming the failing component when it cannot: it is what a load balancer should poll,
because an index that fails (a stale embedded Chroma, an unreachable server) leaves the process
alive.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kb.api.deps import RuntimeDep
from kb.api.errors import envelope, error_responses
from kb.errors import KBError
from kb.records import Principal

router = APIRouter()

PROBE = Principal(user="readiness@freshkb.invalid")


@router.get("/healthz", tags=["health"], summary="Liveness; needs no token")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    tags=["health"],
    summary="Readiness: whether a search answers (model, store, index); needs no token",
    responses=error_responses(500, 503),
)
def readyz(rt: RuntimeDep) -> Any:
    try:
        rt.retriever.search("readiness probe", PROBE, top_k=1, now=rt.clock.now())
    except KBError as err:
        return envelope(503, "NotReady", err.message, subject=err.subject)
    return JSONResponse({"status": "ready"})
