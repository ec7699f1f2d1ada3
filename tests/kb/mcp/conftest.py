"""MCP fixtures: the API's test users and example data (a copy of the store, since MCP calls
write audit rows), and the MCP streamable HTTP app under a real uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.mcp import http_app
from kb.runtime import Runtime
from tests.kb.api.conftest import api_runtime  # noqa: F401  (re-exported fixture)
from tests.kb.api.live import serve


@pytest.fixture(scope="session")
def mcp_url(api_runtime: Runtime) -> Iterator[str]:  # noqa: F811
    """Base URL of ``kb mcp --transport http`` over the example data; the endpoint is /mcp."""
    with serve(http_app(api_runtime, host="127.0.0.1", port=0)) as base:  # type: ignore[arg-type]
        yield base
