"""FreshKB as a Model Context Protocol server: ``search`` and ``ask`` as MCP tools, so coding
assistants get the same permission-aware, freshness-ranked answers as the HTTP API.

Owns: the MCP tools (``tools``: the same responses as ``POST /v1/search`` and ``POST /v1/ask``,
audited the same way), the MCP server and its transports (``server``: stdio as the principal of
one token, streamable HTTP with a bearer token per request checked by ``kb.auth``).
May import: the capabilities (search, answer), ``kb.runtime``, the foundation, and the API's
response models and audit recorder (``kb.api.schemas``, ``kb.store.audit``) so both entry points
answer alike; never ``kb.cli``.
"""

from __future__ import annotations

from kb.mcp.server import BearerVerifier, build_server, http_app, principal_from_token

__all__ = ["BearerVerifier", "build_server", "http_app", "principal_from_token"]
