"""``kb serve``: run the HTTP API (and the web page) under uvicorn.

SIGTERM and Ctrl-C stop it cleanly: uvicorn finishes the requests in flight and runs the app's
shutdown (which writes the queued audit entries), then the runtime closes and the command exits 0.
"""

from __future__ import annotations

import signal
from types import FrameType
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
        # uvicorn handles SIGTERM and SIGINT itself while it runs, then re-raises it once shut down (to the
        # handler in place before it started): this one ends the command normally, so the
        # runtime is closed and the exit status is 0, not "killed by SIGTERM".
        previous = {sig: signal.signal(sig, _stop) for sig in STOP_SIGNALS}
        try:
            uvicorn.run(create_app(rt), host=bind_host, port=bind_port, log_level="info")
        except _Stopped:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            rt.close()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stopped(Exception):
    """SIGTERM or SIGINT outside uvicorn's own handling (before it started, or re-raised after shutdown)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped
