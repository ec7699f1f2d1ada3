"""``create_app(runtime)``: the FastAPI application, wired from one ``Runtime``.

Routers come from ``kb.api.routes.ROUTERS``; errors are mapped in ``kb.api.errors``. At startup
the lifespan purges old audit rows, warms the model, the index and the lexical index (so the
first real request is not the slow one) and starts the alert scheduler when ``alerts.enabled``;
at shutdown it writes the audit entries still queued (``kb.store.audit_queue``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import perf_counter
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from kb import __version__
from kb.api import docs_ui, errors, openapi
from kb.api.metrics import Metrics, MetricsMiddleware
from kb.api.routes import ROUTERS
from kb.auth import Authenticator
from kb.errors import KBError
from kb.lifecycle.status_filter import STATUS_FILTERS
from kb.records import Principal
from kb.runtime import Runtime
from kb.search.memtrim import limit_arenas

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

DESCRIPTION = """Search and ask FreshKB, the knowledge base that ranks by relevance **and** freshness.

Every route except `/healthz` and the web page `/` needs `Authorization: Bearer <token>`
(a static token or an OIDC JWT). Errors share one body: `{"error": {"type", "message"}}`.
"""


def warm_up(runtime: Runtime) -> None:
    """Load the model and open the index and lexical index by running one throwaway search."""
    started = perf_counter()
    try:
        runtime.retriever.search(
            "warm up", Principal(user="warmup@freshkb.invalid"), top_k=1, now=runtime.clock.now()
        )
    except KBError as err:
        # An empty or unreachable index must not stop the service: requests will report it.
        log.warning("warm-up search failed: %s", err)
    log.info("warm-up took %.1fs", perf_counter() - started)


def create_app(runtime: Runtime, *, warm: bool = True) -> FastAPI:
    limit_arenas(runtime.settings.api.malloc_arenas)  # before the server starts its threads

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime.settings.api.torch_threads:
            import torch  # the serving process only: ingest keeps torch's default threads

            torch.set_num_threads(runtime.settings.api.torch_threads)
        removed = await run_in_threadpool(app.state.audit.purge)
        if removed:
            log.info("purged %d audit rows past retention", removed)
        if warm:
            await run_in_threadpool(warm_up, runtime)
        from kb.alerts.scheduler import cron_trigger, start_scheduler, stop_scheduler  # alerts.enabled only

        def pulls(scheduler: BaseScheduler) -> None:  # the [[sources]] with a cron, beside the digests
            from kb.ingest.pull import add_pull_jobs

            add_pull_jobs(scheduler, runtime.ingester(), cron_trigger)

        scheduler = start_scheduler(runtime.settings.alerts, runtime.alert_runner, pulls)
        try:
            yield
        finally:
            stop_scheduler(scheduler)
            # uvicorn runs this on SIGTERM / Ctrl-C once requests are done: no entry is lost.
            written = await run_in_threadpool(app.state.audit.close)
            log.info("audit: %d queued entries written at shutdown", written)

    app = FastAPI(
        title="FreshKB",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local assets by docs_ui
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.authenticator = Authenticator(runtime.settings.auth)
    app.state.audit = runtime.audit
    app.state.answerer = None
    app.state.metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    errors.install(app)
    for router in ROUTERS:  # each route documents its own error statuses (``responses=``)
        app.include_router(router)
    docs_ui.install(app)
    openapi.install(app, runtime.settings.api, sorted(STATUS_FILTERS))
    return app
