"""Issue 11, case 7 (part): ``/docs`` and ``/redoc`` load only local assets, so they work offline.
The HTML is checked through the app; then headless Chromium, with every request that does not go
to the loopback server aborted, renders both pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.config import settings_from_dict
from kb.runtime import Runtime
from tests.kb.api.live import serve
from tests.kb.api.test_page_browser import ARGS, CHROMIUM

# Swagger UI puts zero-width spaces into paths; the text is there once the spec is rendered.
RENDERED = "document.body.innerText.replace(/\\u200b/g, '').includes('/v1/search')"
ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(settings_from_dict({"data": {"dir": str(tmp_path / "data")}}))
    yield runtime
    runtime.close()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_reference_only_local_assets(rt: Runtime, page: str) -> None:
    with TestClient(create_app(rt, warm=False)) as client:
        html = client.get(page)
        assert html.status_code == 200
        refs = [a or b for a, b in ASSET.findall(html.text)]
        assert refs and "/openapi.json" in refs
        for ref in refs:
            if ref.startswith("data:"):
                continue
            assert ref.startswith("/"), f"{page} loads {ref} from elsewhere"
            asset = client.get(ref)
            assert asset.status_code == 200, ref
            if ref.endswith(".js"):
                assert len(asset.content) > 500_000, ref  # the real bundle, not a stub
        assert "fonts.googleapis" not in html.text and "cdn" not in html.text.lower()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_doc_pages_render_offline_in_a_browser(rt: Runtime) -> None:
    from playwright.sync_api import sync_playwright

    with serve(create_app(rt, warm=False)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page: Any = browser.new_page()
        outside: list[str] = []

        def only_loopback(route: Any) -> None:
            if route.request.url.startswith(base) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                outside.append((route.request.resource_type, route.request.url))
                route.abort()

        page.route("**/*", only_loopback)
        page.goto(f"{base}/docs")
        page.wait_for_function(RENDERED, timeout=60_000)
        assert page.locator(".swagger-ui .title").first.inner_text().startswith("FreshKB")
        page.goto(f"{base}/redoc")
        page.wait_for_function(RENDERED, timeout=60_000)
        assert page.locator("h1").first.inner_text().startswith("FreshKB")
        browser.close()
    # Only ReDoc's "powered by" footer logo is not local: an image, and the page renders without it.
    assert all(kind == "image" for kind, _ in outside), outside
