"""The web pages (``/``, ``/admin``, ``/my``) and their shared assets.

Each page is one HTML file of ``kb/api/static`` with its own inline script; what the pages share
comes from two files served beside them: ``freshkb.css`` (the look, also used by the one-click
review and decision pages, which work without JavaScript) and ``signin.js`` (the token kept in
the tab, and forgotten as soon as the API rejects it). Pages are served with a strict
Content-Security-Policy that allows exactly their own inline script and style (by hash) and the
shared files ('self'), so injected markup could not run code even if some text were ever
rendered unescaped.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi.responses import HTMLResponse, Response

STATIC = Path(__file__).parent / "static"
PAGE = STATIC / "index.html"
ASSETS = {"signin.js": "text/javascript; charset=utf-8", "freshkb.css": "text/css; charset=utf-8"}
"""Shared files under ``/static/<name>``."""
CSS_URL = "/static/freshkb.css"


def _hashes(html: str, tag: str) -> str:
    bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies
    )


@lru_cache(maxsize=8)
def _page(name: str = "index.html") -> tuple[str, str]:
    html = (STATIC / name).read_text(encoding="utf-8")
    csp = (
        f"default-src 'none'; script-src {_hashes(html, 'script')} 'self'; "
        f"style-src {_hashes(html, 'style')} 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return html, csp


_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def page_response(name: str = "index.html") -> HTMLResponse:
    """A page of ``kb/api/static``: ``index.html`` (``/``), ``admin.html``, ``my.html``."""
    html, csp = _page(name)
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, **_HEADERS})


@lru_cache(maxsize=4)
def _asset(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def asset_response(name: str) -> Response:
    """One of the shared ``ASSETS``."""
    return Response(_asset(name), media_type=ASSETS[name], headers=_HEADERS)
