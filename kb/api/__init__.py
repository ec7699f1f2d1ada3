"""FreshKB's HTTP API: ``create_app(runtime)`` builds the FastAPI application.

Owns: routes (one module per resource under ``routes``), request and response schemas, auth
dependencies, error mapping to HTTP, metrics and the web page (the audit recorder is
``kb.store.audit``'s, shared with ``kb search``).
May import: everything below it (capabilities, ``kb.runtime``, the foundation); never ``kb.cli``.
"""

from kb.api.app import create_app

__all__ = ["create_app"]
