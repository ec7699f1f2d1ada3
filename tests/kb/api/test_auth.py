"""Auth over HTTP: 401 + WWW-Authenticate for missing / malformed / wrong / expired credentials,
JWTs validated against a JWKS served on loopback, health and the page open to all, and the same
rules on a real uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.auth import hash_token
from kb.config import settings_from_dict
from kb.runtime import Runtime
from tests.kb.api.jwt_keys import SigningKey, jwt_settings, serve_jwks
from tests.kb.api.live import serve

TOKEN = "tok-auth-tests"
KEY = SigningKey()


@pytest.fixture
def app_runtime(tmp_path: Path) -> Iterator[Runtime]:
    with serve_jwks(KEY.jwks()) as (jwks_url, _):
        settings = settings_from_dict(
            {
                "data": {"dir": str(tmp_path / "data")},
                "auth": {
                    "tokens": [{"sha256": hash_token(TOKEN), "user": "eve@acme.test"}],
                    "jwt": jwt_settings(jwks_url=jwks_url),
                },
            }
        )
        rt = Runtime(settings)
        yield rt
        rt.close()


@pytest.fixture
def client(app_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(app_runtime, warm=False)) as c:
        yield c


PROTECTED = [
    ("GET", "/v1/docs"),
    ("GET", "/v1/docs/notion:abc"),
    ("POST", "/v1/search"),
    ("POST", "/v1/ask"),
    ("GET", "/metrics"),
]


DAY = 86_400


def call(client: Any, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    body = {"question": "billing"} if method == "POST" else None
    return client.request(method, path, json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing bearer token: send 'Authorization: Bearer <token>'"),
        ("Token abc", "malformed Authorization header: expected 'Bearer <token>'"),
        ("Bearer not-a-known-token", "invalid token"),
        (f"Bearer {KEY.token(expires_in=-300)}", "expired token"),
        # built at collection: valid for a day, so a long (loaded) run does not see them expire
        (f"Bearer {KEY.token(aud='another-app', expires_in=DAY)}", "invalid token"),
        (f"Bearer {KEY.token(iss='https://evil.example.test/', expires_in=DAY)}", "invalid token"),
        (f"Bearer {SigningKey().token(expires_in=DAY)}", "invalid token"),  # same kid, another key
    ],
)
def test_protected_routes_refuse_bad_credentials_with_401(
    client: TestClient, method: str, path: str, header: str | None, message: str
) -> None:
    resp = call(client, method, path, {"Authorization": header} if header else None)
    assert resp.status_code == 401
    assert resp.json() == {"error": {"type": "AuthError", "message": message}}
    assert resp.headers["www-authenticate"].startswith('Bearer realm="freshkb"')
    assert "not-a-known-token" not in resp.text


def test_health_and_page_need_no_token_and_reveal_nothing(client: TestClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    page = client.get("/")
    assert page.status_code == 200 and "<title>FreshKB</title>" in page.text
    assert "script-src 'sha256-" in page.headers["content-security-policy"]


def test_static_token_and_jwt_are_accepted(client: TestClient) -> None:
    assert client.get("/v1/docs", headers={"Authorization": f"Bearer {TOKEN}"}).json()["count"] == 0
    jwt_token = KEY.token(email="Frank@acme.test", groups=["engineering"])
    assert client.get("/v1/docs", headers={"Authorization": f"Bearer {jwt_token}"}).status_code == 200


def test_metrics_need_a_token_and_count_requests_per_route_template(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/v1/docs/notion:secret-id", headers=auth).status_code == 404
    text = client.get("/metrics", headers=auth).text
    assert 'kb_http_requests_total{method="GET",route="/v1/docs/{doc_id}",status="404"} 1.0' in text
    assert "kb_http_request_duration_seconds_bucket" in text
    assert "secret-id" not in text


def test_openapi_schema_loads_and_declares_bearer_auth(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/search", "/v1/ask", "/v1/docs", "/v1/docs/{doc_id}", "/healthz"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


@pytest.mark.slow
def test_auth_on_a_real_uvicorn_server(app_runtime: Runtime) -> None:
    with serve(create_app(app_runtime, warm=False)) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        resp = httpx.get(f"{base}/v1/docs")
        assert resp.status_code == 401 and "Bearer" in resp.headers["www-authenticate"]
        token = KEY.token(email="gina@acme.test")
        assert httpx.get(f"{base}/v1/docs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        expired = KEY.token(expires_in=-300)
        resp = httpx.get(f"{base}/v1/docs", headers={"Authorization": f"Bearer {expired}"})
        assert resp.status_code == 401 and resp.json()["error"]["message"] == "expired token"
