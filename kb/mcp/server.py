"""The MCP server (official ``mcp`` SDK, ``MCPServer``) and its two transports.

* stdio (``kb mcp``): an assistant launches FreshKB as a subprocess; every call runs as the
  principal of the one token given in an environment variable (checked at start by
  ``kb.auth.Authenticator``, the same static tokens and OIDC JWTs as the API).
* streamable HTTP (``kb mcp --transport http``): every request carries
  ``Authorization: Bearer <token>``; ``BearerVerifier`` checks it with the same
  ``Authenticator``, a bad or missing token gets 401 before any tool runs, and each tool call
  runs as that request's principal (read back from the verified ``AccessToken``).
"""

from __future__ import annotations

import logging
from typing import Annotated

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import AnyHttpUrl, Field
from starlette.applications import Starlette

from kb.answer import Answerer, make_answerer
from kb.api.schemas import AskResponse, SearchResponse
from kb.auth import Authenticator
from kb.errors import AuthError, KBError
from kb.mcp import tools
from kb.records import Principal
from kb.runtime import Runtime

log = logging.getLogger(__name__)

INSTRUCTIONS = """FreshKB is the company's internal knowledge base (Notion and Google Drive).
Results are ranked by relevance and freshness; each carries its owner, status (fresh, due_soon,
overdue, deprecated, superseded, ...) and last review. Prefer fresh sources, mention warnings
about stale or superseded documents, and follow a result's successor when it has one. Use `ask`
for a cited answer and `search` for the ranked documents with snippets."""

Question = Annotated[str, Field(description="The question, in plain words")]
TopK = Annotated[int | None, Field(None, ge=1, description="Documents to consider (1..api.max_top_k)")]


class BearerVerifier(TokenVerifier):
    """Checks an MCP request's bearer token with FreshKB's ``Authenticator``; the principal
    travels in the ``AccessToken`` (``subject`` = user, ``claims`` = groups and admin)."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            # A JWT may need the identity provider's keys fetched: not on the event loop.
            principal = await anyio.to_thread.run_sync(self._authenticator.authenticate, f"Bearer {token}")
        except AuthError:
            return None
        except KBError as err:  # the identity provider is unreachable: refuse, and say why in the log
            log.warning("MCP bearer token not checked: %s", err)
            return None
        return AccessToken(
            token=token,
            client_id=principal.user,
            scopes=[],
            subject=principal.user,
            claims={"groups": sorted(principal.groups), "admin": principal.admin},
        )


def principal_from_token(token: AccessToken) -> Principal:
    """The principal ``BearerVerifier`` put into ``token``."""
    claims = token.claims or {}
    return Principal(
        user=token.subject or token.client_id,
        groups=frozenset(claims.get("groups", [])),
        admin=bool(claims.get("admin", False)),
    )


def _request_principal() -> Principal:
    token = get_access_token()
    if token is None:  # unreachable behind RequireAuthMiddleware; refuse rather than guess
        raise ToolError("missing bearer token")
    return principal_from_token(token)


def _auth_settings(runtime: Runtime, public_url: str | None) -> AuthSettings:
    jwt = runtime.settings.auth.jwt
    if jwt is not None and public_url:
        # Clients may discover the identity provider through the protected-resource metadata.
        return AuthSettings(
            issuer_url=AnyHttpUrl(jwt.issuer),
            resource_server_url=AnyHttpUrl(public_url),
            validate_token_resource=False,  # Authenticator checks the audience itself
        )
    return AuthSettings(issuer_url=AnyHttpUrl(runtime.settings.api.public_base_url), resource_server_url=None)


def build_server(
    runtime: Runtime, *, principal: Principal | None = None, public_url: str | None = None
) -> MCPServer:
    """The MCP server with FreshKB's ``search`` and ``ask`` tools.

    With ``principal`` (stdio) every call runs as that principal; without it the server requires
    a bearer token on every HTTP request (``http_app``) and runs each call as its principal.
    """
    audit = runtime.audit
    answerers: list[Answerer] = []

    def caller() -> Principal:
        return principal if principal is not None else _request_principal()

    def answerer() -> Answerer:
        if not answerers:  # built on first use: the extractive answerer loads the model
            answerers.append(
                make_answerer(runtime.settings.answer, runtime.documents, lambda: runtime.answer_embedder)
            )
        return answerers[0]

    secured = principal is None
    server: MCPServer = MCPServer(
        "freshkb",
        title="FreshKB",
        instructions=INSTRUCTIONS,
        version="0.1.0",
        token_verifier=BearerVerifier(Authenticator(runtime.settings.auth)) if secured else None,
        auth=_auth_settings(runtime, public_url) if secured else None,
    )
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(name="search", annotations=read_only)
    def search(question: Question, top_k: TopK = None) -> SearchResponse:
        """Search FreshKB: the documents you may read ranked by relevance x freshness, each with
        its snippets, source, owner, freshness status, last review and successor."""
        try:
            return tools.search(runtime, audit, caller(), question, top_k)
        except KBError as err:
            raise ToolError(str(err)) from err

    @server.tool(name="ask", annotations=read_only)
    def ask(question: Question, top_k: TopK = None) -> AskResponse:
        """Ask FreshKB: an answer with numbered citations [n] from documents you may read, and
        warnings when a stale or superseded document also matches."""
        try:
            return tools.ask(runtime, audit, answerer(), caller(), question, top_k)
        except KBError as err:
            raise ToolError(str(err)) from err

    return server


def http_app(runtime: Runtime, *, host: str, port: int, path: str = "/mcp") -> Starlette:
    """The streamable HTTP app (bearer auth on every request) for uvicorn."""
    public_url = f"http://{host}:{port}{path}"
    server = build_server(runtime, public_url=public_url)
    return server.streamable_http_app(streamable_http_path=path, host=host)
