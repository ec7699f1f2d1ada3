"""FreshKB's HTTP API: ``create_app(runtime)`` builds the FastAPI application."""

from kb.api.app import create_app

__all__ = ["create_app"]
