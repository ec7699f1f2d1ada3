"""API fixtures over the bundled example data: test tokens for users in and out of the example's
restricted groups, a TestClient, and a real uvicorn server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.auth import hash_token
from kb.clock import FixedClock
from kb.config import TokenEntry
from kb.runtime import Runtime
from tests.conftest import EXAMPLE_NOW, clone_store, place_store
from tests.kb.api.live import serve

# name -> (token, user, groups, admin). The example data restricts HR and Security spaces to
# group:hr@acme.com / group:security@acme.com; most of the rest is domain:acme.com.
USERS = {
    "engineer": ("tok-engineer", "alice.chen@acme.com", ["engineering@acme.com"], False),
    "hr": ("tok-hr", "omar.haddad@acme.com", ["hr@acme.com"], False),
    "security": ("tok-security", "sam.okafor@acme.com", ["security@acme.com"], False),
    "outsider": ("tok-outsider", "vendor@partner.example", [], False),
    "admin": ("tok-admin", "root@acme.com", [], True),
}


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {USERS[name][0]}"}


@pytest.fixture(scope="session")
def api_runtime(
    example_runtime: Runtime,
    example_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Runtime]:
    """The example data with the test users' token hashes configured.

    The API writes audit rows, and the example runtime must stay read-only for other tests, so
    the API gets a copy of the store (a new SQLite file or PostgreSQL database) and reads the
    example's Chroma index, which it never writes."""
    settings = example_runtime.settings.model_copy(deep=True)
    settings.store.path = tmp_path_factory.mktemp("api") / "kb.sqlite"
    place_store(settings, example_backend, request)
    clone_store(example_runtime, settings)
    settings.auth.tokens = [
        TokenEntry(sha256=hash_token(tok), user=user, groups=groups, admin=admin)
        for tok, user, groups, admin in USERS.values()
    ]
    rt = Runtime(settings, embedder=example_runtime.embedder, clock=FixedClock(EXAMPLE_NOW))
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def client(api_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(api_runtime)) as c:
        yield c


@pytest.fixture(scope="session")
def live_url(api_runtime: Runtime) -> Iterator[str]:
    """A real uvicorn serving the example data on a loopback port."""
    with serve(create_app(api_runtime)) as base:
        yield base


def doc_id(runtime: Runtime, title: str) -> str:
    """The id of the example document titled ``title`` (ids are derived, so look them up)."""
    ids = [d.doc_id for d in runtime.documents.list() if d.title == title]
    assert len(ids) == 1, f"expected one example document titled {title!r}, found {ids}"
    return ids[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module (the browser tests)."""
    from playwright.sync_api import sync_playwright

    from tests.kb.api.test_page_browser import ARGS, CHROMIUM

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()
