"""The web page at ``GET /``: one self-contained HTML file, served with a strict
Content-Security-Policy that allows exactly its own inline script and style (by hash), so
injected markup could not run code even if some text were ever rendered unescaped."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi.responses import HTMLResponse

STATIC = Path(__file__).parent / "static"
PAGE = STATIC / "index.html"


def _hashes(html: str, tag: str) -> str:
    bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies
    )


@lru_cache(maxsize=4)
def _page(name: str = "index.html") -> tuple[str, str]:
    html = (STATIC / name).read_text(encoding="utf-8")
    csp = (
        f"default-src 'none'; script-src {_hashes(html, 'script')}; "
        f"style-src {_hashes(html, 'style')}; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return html, csp


def page_response(name: str = "index.html") -> HTMLResponse:
    """A page of ``kb/api/static`` (``index.html``: ``/``; ``admin.html``: ``/admin``)."""
    html, csp = _page(name)
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )
