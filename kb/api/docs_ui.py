"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from local assets, so they work offline.

FastAPI's default pages load Swagger UI and ReDoc from a CDN (and ReDoc's fonts from Google):
without the network they are blank. Swagger UI 5 (which renders OpenAPI 3.1, the version FastAPI
writes) comes from the PyPI package ``swagger-ui-bundle-v2``; ReDoc's standalone bundle is
vendored in ``kb/api/static/redoc`` (see its README for where it came from).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

REDOC_DIR = Path(__file__).parent / "static" / "redoc"
SWAGGER_PREFIX = "/static/swagger-ui"
REDOC_PREFIX = "/static/redoc"
FAVICON = "data:,"  # no icon rather than one fetched from elsewhere


def _swagger_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped, unused-ignore]

    return Path(swagger_ui_path)


def install(app: FastAPI) -> None:
    """Mount the assets and add ``/docs`` and ``/redoc`` (create the app with both set to None)."""
    app.mount(SWAGGER_PREFIX, StaticFiles(directory=_swagger_dir()), name="swagger-ui")
    app.mount(REDOC_PREFIX, StaticFiles(directory=REDOC_DIR), name="redoc")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{SWAGGER_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_PREFIX}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{REDOC_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )
