"""A loopback HTTP server implementing the parts of the Notion API (version 2025-09-03) that
``ingestors.notion_api`` calls, written from the public API reference:

- ``POST /v1/search`` (``filter.value`` page or data_source), ``POST /v1/data_sources/{id}/query``,
  ``GET /v1/blocks/{id}/children``, ``GET /v1/users``: list objects with ``results``,
  ``next_cursor`` and ``has_more``, honouring ``start_cursor`` and ``page_size`` (capped at
  ``max_page_size`` so tests paginate with few objects);
- ``Authorization: Bearer <token>`` (401 ``unauthorized`` otherwise) and a ``Notion-Version``
  header (400 ``missing_version``);
- a rate limit like Notion's ("an average of three requests per second", some bursts allowed: a
  token bucket of ``rate_limit`` per second holding ``rate_limit``; an empty bucket answers 429
  ``rate_limited`` with ``Retry-After``), and injected faults per route (``fail``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.loopback import LoopbackServer, QuietHandler

Obj = dict[str, Any]


class NotionState:
    def __init__(self, token: str = "secret_test_token") -> None:
        self.token = token
        self.pages: dict[str, Obj] = {}
        self.sources: dict[str, Obj] = {}
        self.blocks: dict[str, list[Obj]] = defaultdict(list)
        self.users: list[Obj] = []
        self.max_page_size = 2
        self.rate_limit: float | None = None
        self.rate_limited = 0  # requests answered 429 by the rate limit
        self._tokens = 0.0
        self._refilled = 0.0
        self.faults: dict[str, list[int]] = defaultdict(list)
        self.log: list[tuple[float, str, str]] = []  # (monotonic time, method, path)
        self.lock = threading.Lock()

    def fail(self, route: str, *statuses: int) -> None:
        """The next requests to ``route`` ('POST /v1/search', 'GET /v1/blocks/<id>/children')
        answer these statuses, in order."""
        self.faults[route].extend(statuses)

    def take_token(self, now: float) -> bool:
        """Token bucket (call with ``lock`` held); False when the request is over the limit."""
        assert self.rate_limit is not None
        if not self._refilled:
            self._tokens, self._refilled = self.rate_limit, now
        self._tokens = min(self.rate_limit, self._tokens + (now - self._refilled) * self.rate_limit)
        self._refilled = now
        if self._tokens < 1:
            self.rate_limited += 1
            return False
        self._tokens -= 1
        return True

    def requests(self, method: str, prefix: str) -> int:
        return sum(1 for _t, m, p in self.log if m == method and p.startswith(prefix))


def _error(status: int, code: str, message: str) -> Obj:
    return {"object": "error", "status": status, "code": code, "message": message}


_FAULT_CODES = {
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
}


class _Handler(QuietHandler):
    server: NotionServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        st = self.server.state
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        now = time.monotonic()
        with st.lock:
            st.log.append((now, method, url.path))
            allowed = st.rate_limit is None or st.take_token(now)
            fault = st.faults[f"{method} {url.path}"].pop(0) if st.faults[f"{method} {url.path}"] else None
        if self.headers.get("Authorization") != f"Bearer {st.token}":
            return self.send_json(401, _error(401, "unauthorized", "API token is invalid."))
        if not self.headers.get("Notion-Version"):
            return self.send_json(
                400, _error(400, "missing_version", "Notion-Version header failed validation")
            )
        if not allowed:
            return self.send_json(429, _error(429, "rate_limited", "Rate limited"), {"Retry-After": "1"})
        if fault is not None:
            headers = {"Retry-After": "1"} if fault == 429 else None
            return self.send_json(fault, _error(fault, _FAULT_CODES.get(fault, "error"), "injected"), headers)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        params = {**query, **body}
        listing = self._route(method, url.path, body)
        if listing is None:
            return self.send_json(404, _error(404, "object_not_found", f"Could not find {url.path}"))
        self.send_json(200, self._page(listing, params))

    def _route(self, method: str, path: str, body: Obj) -> list[Obj] | None:
        st = self.server.state
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "search"]:
            kind = (body.get("filter") or {}).get("value")
            objs = list(st.sources.values()) if kind == "data_source" else list(st.pages.values())
            if kind is None:
                objs = list(st.pages.values()) + list(st.sources.values())
            return objs
        if method == "POST" and len(parts) == 4 and parts[1] == "data_sources" and parts[3] == "query":
            if parts[2] not in st.sources:
                return None
            return [p for p in st.pages.values() if (p.get("parent") or {}).get("data_source_id") == parts[2]]
        if method == "GET" and len(parts) == 4 and parts[1] == "blocks" and parts[3] == "children":
            known = parts[2] in st.pages or any(b["id"] == parts[2] for bs in st.blocks.values() for b in bs)
            return st.blocks.get(parts[2], []) if known else None
        if method == "GET" and parts == ["v1", "users"]:
            return st.users
        return None

    def _page(self, objs: list[Obj], params: Obj) -> Obj:
        size = min(int(params.get("page_size") or 100), self.server.state.max_page_size)
        start = int(params.get("start_cursor") or 0)
        chunk = objs[start : start + size]
        more = start + size < len(objs)
        return {
            "object": "list",
            "results": chunk,
            "next_cursor": str(start + size) if more else None,
            "has_more": more,
        }


class NotionServer(LoopbackServer[NotionState]):
    def __init__(self, state: NotionState) -> None:
        super().__init__(state, _Handler)
