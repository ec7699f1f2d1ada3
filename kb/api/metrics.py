"""Prometheus metrics for the API: request counts and latency per route template.

Labels use the route *template* (``/v1/docs/{doc_id}``), never the concrete path, so document ids
never reach the metrics and label cardinality stays bounded. Each app gets its own registry so
several apps in one process (tests) do not collide.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kb_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "kb_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )


class MetricsMiddleware:
    """Pure ASGI middleware (no body buffering): times each HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(perf_counter() - started)


STATUSES = ("fresh", "due_soon", "overdue", "unknown", "deprecated", "archived", "superseded")


def document_gauges(counts: Mapping[str, int]) -> bytes:
    """``kb_documents{status=...}``: documents by freshness status, counted over what the scraper
    may read (a per-request registry: counts of documents a token cannot read are never shown)."""
    registry = CollectorRegistry()
    gauge = Gauge(
        "kb_documents",
        "Documents the scraping token may read, by freshness status",
        ["status"],
        registry=registry,
    )
    for status in STATUSES:
        gauge.labels(status).set(counts.get(status, 0))
    return generate_latest(registry)
