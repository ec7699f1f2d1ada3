"""Requests the caller can fix get a 4xx naming the problem, in the one error envelope; never a 500.

These never reach retrieval (validation comes first), so an empty store is enough.
"""

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

AUTH = {"Authorization": "Bearer tok-bad-requests"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "auth": {"tokens": [{"sha256": hash_token("tok-bad-requests"), "user": "eve@acme.test"}]},
            "api": {"max_question_chars": 50, "max_top_k": 10},
            # FastAPI builds a route's dependencies even for a request it refuses, and the
            # extractive answerer loads the model (~40 s of the fast subset under load); every
            # request here is refused before any answerer runs, so one that needs no model serves.
            "answer": {"mode": "openai", "openai": {"base_url": "http://127.0.0.1:9/v1", "model": "unused"}},
        }
    )
    rt = Runtime(settings)
    with TestClient(create_app(rt, warm=False), raise_server_exceptions=False) as c:
        yield c
    rt.close()


def error(resp: Any) -> dict[str, Any]:
    body = resp.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/search"])
@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"question": ""}, "question", "must not be empty"),
        ({"question": "   \n\t "}, "question", "must not be empty"),
        ({"question": 42}, "question", "valid string"),
        ({"question": "billing", "top_k": 0}, "top_k", "greater than or equal to 1"),
        ({"question": "billing", "top_k": "3"}, "top_k", "valid integer"),
        ({"question": "billing", "top_k": 2.5}, "top_k", "valid integer"),
        ({"question": "billing", "colour": "blue"}, "colour", "unknown field 'colour'"),
    ],
)
def test_invalid_field_is_422_naming_the_field(
    client: TestClient, route: str, body: dict[str, Any], field: str, fragment: str
) -> None:
    resp = client.post(route, json=body, headers=AUTH)
    assert resp.status_code == 422
    err = error(resp)
    assert err["type"] == "InvalidField"
    assert err["field"] == field
    assert fragment in err["message"]


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/search"])
def test_question_over_the_configured_limit_is_422(client: TestClient, route: str) -> None:
    resp = client.post(route, json={"question": "x" * 51}, headers=AUTH)
    assert resp.status_code == 422
    assert error(resp)["message"] == "'question' is 51 characters; the limit is 50"


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/search"])
def test_top_k_over_the_configured_maximum_is_422(client: TestClient, route: str) -> None:
    resp = client.post(route, json={"question": "billing", "top_k": 11}, headers=AUTH)
    assert resp.status_code == 422
    assert error(resp) == {
        "type": "InvalidField",
        "field": "top_k",
        "message": "'top_k' must be between 1 and 10",
    }


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/search"])
def test_body_that_is_not_json_is_400(client: TestClient, route: str) -> None:
    resp = client.post(
        route, content=b'{"question": "billing"', headers={**AUTH, "Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert error(resp) == {"type": "BadRequest", "message": "request body is not valid JSON"}


def test_missing_question_is_422(client: TestClient) -> None:
    resp = client.post("/v1/ask", json={"top_k": 3}, headers=AUTH)
    assert resp.status_code == 422
    assert error(resp)["message"] == "'question' is required"
    resp = client.post("/v1/search", json={}, headers=AUTH)
    assert resp.status_code == 422
    assert "'question' (or 'query') is required" in error(resp)["message"]


def test_search_refuses_both_question_and_query(client: TestClient) -> None:
    resp = client.post("/v1/search", json={"question": "a", "query": "b"}, headers=AUTH)
    assert resp.status_code == 422
    assert "not both" in error(resp)["message"]


def test_body_that_is_not_an_object_is_422(client: TestClient) -> None:
    resp = client.post("/v1/ask", json=["billing"], headers=AUTH)
    assert resp.status_code == 422
    assert error(resp)["type"] == "InvalidField"


def test_unknown_filters_on_the_docs_list_are_422(client: TestClient) -> None:
    resp = client.get("/v1/docs", params={"status": "stale-ish"}, headers=AUTH)
    assert resp.status_code == 422
    assert "unknown status 'stale-ish'" in error(resp)["message"]
    resp = client.get("/v1/docs", params={"source": "dropbox"}, headers=AUTH)
    assert resp.status_code == 422
    assert error(resp)["field"] == "source"


def test_unknown_route_and_wrong_method_use_the_envelope(client: TestClient) -> None:
    assert error(client.get("/v1/nothing-here", headers=AUTH))["type"] == "NotFoundError"
    resp = client.get("/v1/ask", headers=AUTH)
    assert resp.status_code == 405
    assert error(resp)["type"] == "MethodNotAllowed"
