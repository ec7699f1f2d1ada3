"""``GET /metrics``: Prometheus exposition. Any valid token may scrape; requiring an admin token
would hand the scraper the power to read everything. Request metrics hold no document data; the
``kb_documents{status}`` gauges count only the documents the scraping token may read (give the
scraper a token that reads everything to see the whole knowledge base)."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kb.api.deps import CurrentPrincipal, RuntimeDep
from kb.api.errors import error_responses
from kb.api.metrics import document_gauges
from kb.lifecycle.freshness import Freshness
from kb.records import Document, Principal
from kb.runtime import Runtime

router = APIRouter(tags=["metrics"])

CACHE_SECONDS = 60.0  # freshness moves by days: judging every document on each scrape is waste
_cache: dict[int, tuple[float, int, list[Document], dict[str, Freshness]]] = {}
_lock = threading.Lock()


def _assessed(runtime: Runtime) -> tuple[list[Document], dict[str, Freshness]]:
    """Every document with its freshness as the digests judge it, cached per store generation."""
    generation = runtime.documents.generation()
    with _lock:
        hit = _cache.get(id(runtime))
        if hit and hit[1] == generation and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[2], hit[3]
    now: datetime = runtime.clock.now()
    docs, judged = runtime.alert_runner().judgements(now)
    fresh = {d: j.freshness for d, j in judged.items()}
    with _lock:
        _cache[id(runtime)] = (time.monotonic(), generation, docs, fresh)
    return docs, fresh


def _counts(runtime: Runtime, principal: Principal) -> dict[str, int]:
    docs, fresh = _assessed(runtime)
    out: dict[str, int] = {}
    for d in docs:
        if principal.can_read(d.acl):
            status = fresh[d.doc_id].status
            out[status] = out.get(status, 0) + 1
    return out


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (any valid token)",
    responses=error_responses(401, 500, 503),
)
def metrics(request: Request, runtime: RuntimeDep, principal: CurrentPrincipal) -> Response:
    body = generate_latest(request.app.state.metrics.registry) + document_gauges(_counts(runtime, principal))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
