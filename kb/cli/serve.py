"""``kb serve``: run the HTTP API (and the web page) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, handle_errors, runtime


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @handle_errors
    def serve(
        config: ConfigOpt = None,
        host: Annotated[str | None, typer.Option(help="Bind address (default: api.host)")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default: api.port)")] = None,
    ) -> None:
        """Serve the API at http://HOST:PORT (web page at /, OpenAPI docs at /docs)."""
        import uvicorn

        from kb.api import create_app

        rt = runtime(config)
        bind_host = host or rt.settings.api.host
        bind_port = port or rt.settings.api.port
        try:
            uvicorn.run(create_app(rt), host=bind_host, port=bind_port, log_level="info")
        finally:
            rt.close()
