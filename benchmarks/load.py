"""Concurrent HTTP load against a server on loopback: N clients, bounded by request count and time.

Each of ``clients`` asyncio workers sends one request at a time (keep-alive) and records the
latency of every completed request; a non-2xx status or a transport error counts as an error.
Several URLs (API workers on different ports) are taken in turn, as a round-robin load balancer
would. The loop stops at ``max_requests`` or after ``max_seconds``, whichever comes first. Only
127.0.0.1 / localhost URLs are accepted: this is a benchmark, never a load generator for others.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LoadResult:
    clients: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, Any]:
        n = len(self.latencies_ms)
        return {
            "clients": self.clients,
            "requests": n + self.errors,
            "errors": self.errors,
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "rps": round(n / self.seconds, 1) if self.seconds else 0.0,
            "error_samples": self.error_samples[:3],
        }


async def _run(
    urls: list[str],
    bodies: list[dict[str, Any]],
    headers: list[dict[str, str]],
    clients: int,
    max_requests: int,
    max_seconds: float,
) -> LoadResult:
    result = LoadResult(clients)
    counter = itertools.count()
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            i = next(counter)
            if i >= max_requests:
                return
            started = time.perf_counter()
            try:
                # every worker sees every body and user (j: the request's turn on its worker)
                j = i // len(urls)
                resp = await client.post(
                    urls[i % len(urls)], json=bodies[j % len(bodies)], headers=headers[j % len(headers)]
                )
                ok = 200 <= resp.status_code < 300
                why = f"HTTP {resp.status_code}: {resp.text[:200]}"
            except httpx.HTTPError as err:
                ok, why = False, f"{type(err).__name__}: {err}"
            if ok:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.errors += 1
                result.error_samples.append(why)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


def run_load(
    url: str | list[str],
    bodies: list[dict[str, Any]],
    *,
    clients: int,
    max_requests: int,
    max_seconds: float,
    headers: list[dict[str, str]] | None = None,
) -> LoadResult:
    urls = [url] if isinstance(url, str) else url
    for u in urls:
        host = urlparse(u).hostname
        if host not in LOOPBACK:
            raise ValueError(f"load is only sent to loopback, not {host!r}")
    return asyncio.run(_run(urls, bodies, headers or [{}], clients, max_requests, max_seconds))
