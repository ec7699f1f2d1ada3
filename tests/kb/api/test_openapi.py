"""Issue 11, case 7 (part): the OpenAPI schema documents the error statuses routes answer with, each
with FreshKB's error body (not FastAPI's validation body), and what a route really answers for a
missing token, an unknown document and a bad field is a documented status with that body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.auth import hash_token
from kb.config import settings_from_dict
from kb.runtime import Runtime

TOKEN = {"Authorization": "Bearer tok-openapi"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "auth": {"tokens": [{"sha256": hash_token("tok-openapi"), "user": "ann@acme.test"}]},
        }
    )
    rt = Runtime(settings)
    with TestClient(create_app(rt, warm=False), raise_server_exceptions=False) as c:
        yield c
    rt.close()


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_every_error_response_is_documented_with_our_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == {"error"}
    for path, method, op in _operations(schema):
        for code, resp in op["responses"].items():
            if code.startswith(("4", "5")):
                ref = resp["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (path, method, code)
        if path.startswith("/v1/") or path == "/metrics":
            assert {"401", "500"} <= set(op["responses"]), (path, method)


def _documented(schema: dict[str, Any], path: str, method: str) -> set[int]:
    return {int(c) for c in schema["paths"][path][method]["responses"]}


@pytest.mark.parametrize(
    ("method", "path", "url", "kwargs", "status"),
    [
        ("post", "/v1/search", "/v1/search", {"json": {"question": "x"}}, 401),
        ("post", "/v1/search", "/v1/search", {"json": {"question": "x", "top_k": 0}, "headers": TOKEN}, 422),
        (
            "post",
            "/v1/search",
            "/v1/search",
            {"content": b"{", "headers": {**TOKEN, "Content-Type": "application/json"}},
            400,
        ),
        ("post", "/v1/ask", "/v1/ask", {"json": {"question": " "}, "headers": TOKEN}, 422),
        ("get", "/v1/docs", "/v1/docs?status=bogus", {"headers": TOKEN}, 422),
        ("get", "/v1/docs/{doc_id}", "/v1/docs/notion:nope", {"headers": TOKEN}, 404),
        ("post", "/v1/docs/{doc_id}/review", "/v1/docs/notion:nope/review", {"headers": TOKEN}, 404),
        ("get", "/metrics", "/metrics", {}, 401),
    ],
)
def test_real_error_statuses_are_documented(
    client: TestClient, method: str, path: str, url: str, kwargs: dict[str, Any], status: int
) -> None:
    schema = client.get("/openapi.json").json()
    resp = client.request(method.upper(), url, **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.status_code in _documented(schema, path, method)
    assert set(resp.json()) == {"error"} and {"type", "message"} <= set(resp.json()["error"])


def test_schema_states_the_configured_limits_and_the_status_values(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    models = schema["components"]["schemas"]
    ask = models["AskRequest"]["properties"]
    assert ask["question"]["pattern"] == r"\S" and ask["question"]["maxLength"] == 2000
    assert ask["top_k"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 20}
    assert len(models["SearchRequest"]["oneOf"]) == 2
    [status] = [p for p in schema["paths"]["/v1/docs"]["get"]["parameters"] if p["name"] == "status"]
    assert {"active", "overdue", "superseded"} <= set(status["schema"]["enum"])
    # JSON Schema's integer includes 14.0: the API takes it; 14.5 stays refused.
    ok = client.post("/v1/search", json={"question": "x", "top_k": 14.0}, headers=TOKEN)
    assert ok.status_code != 422, ok.text
    bad = client.post("/v1/search", json={"question": "x", "top_k": 14.5}, headers=TOKEN)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "top_k"
