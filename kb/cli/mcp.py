"""``kb mcp``: serve FreshKB's ``search`` and ``ask`` as Model Context Protocol tools, over stdio
(as the principal of the token in ``--token-env``) or over streamable HTTP (a bearer token per
request). Both use the API's tokens and ACL."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, handle_errors, runtime
from kb.errors import AuthError


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    @handle_errors
    def mcp(
        config: ConfigOpt = None,
        transport: Annotated[Transport, typer.Option(help="stdio, or streamable HTTP")] = Transport.stdio,
        token_env: Annotated[
            str, typer.Option(help="stdio: environment variable holding the caller's bearer token")
        ] = "KB_TOKEN",
        host: Annotated[str | None, typer.Option(help="http: bind address (default: api.host)")] = None,
        port: Annotated[int, typer.Option(help="http: port")] = 8765,
        path: Annotated[str, typer.Option(help="http: endpoint path")] = "/mcp",
    ) -> None:
        """Serve search and ask as MCP tools (stdio for one user, or HTTP with bearer tokens)."""
        from kb.auth import Authenticator
        from kb.mcp import build_server, http_app

        rt = runtime(config)
        try:
            if transport is Transport.stdio:
                token = os.environ.get(token_env, "")
                if not token.strip():
                    raise AuthError(f"set {token_env} to your FreshKB bearer token", subject=token_env)
                principal = Authenticator(rt.settings.auth).authenticate(f"Bearer {token.strip()}")
                build_server(rt, principal=principal).run("stdio")
            else:
                import uvicorn

                bind = host or rt.settings.api.host
                uvicorn.run(
                    http_app(rt, host=bind, port=port, path=path), host=bind, port=port, log_level="info"
                )
        finally:
            rt.close()
