"""``POST /v1/feedback``: a thumbs up or down with a comment on an answer, stored with its author,
audited, and refused (422, naming the field) for bad input; cited documents the caller may not
read are dropped like unknown ones."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.runtime import Runtime
from kb.store.audit import AuditLog
from kb.store.feedback import FeedbackStore
from tests.kb.api.conftest import auth, doc_id

pytestmark = pytest.mark.slow


def ask(client: TestClient, user: str, question: str) -> Any:
    return client.post("/v1/ask", json={"question": question}, headers=auth(user)).json()


def test_thumbs_down_with_comment_is_stored_attributed_and_audited(
    client: TestClient, api_runtime: Runtime
) -> None:
    question = "How are invoices generated?"
    answer = ask(client, "engineer", question)
    cited = [c["doc_id"] for c in answer["citations"]]
    body = {
        "question": question,
        "answer": answer["answer"],
        "doc_ids": cited,
        "rating": "down",
        "comment": " stale ",
    }
    response = client.post("/v1/feedback", json=body, headers=auth("engineer"))
    assert response.status_code == 201, response.text
    out = response.json()
    stored = FeedbackStore(api_runtime.db).list(limit=1)[0]
    assert stored.id == out["id"]
    assert (stored.user, stored.rating, stored.comment, stored.doc_ids) == (
        "alice.chen@acme.com",
        "down",
        "stale",
        cited,
    )
    api_runtime.audit.flush()  # queued off the request path
    entry = AuditLog(api_runtime.db).entries(user="alice.chen@acme.com", limit=1)[0]
    assert (entry.action, entry.query, entry.doc_ids, entry.status) == ("feedback", question, cited, 200)


def test_thumbs_up_without_comment(client: TestClient, api_runtime: Runtime) -> None:
    response = client.post("/v1/feedback", json={"question": "q?", "rating": "up"}, headers=auth("hr"))
    assert response.status_code == 201
    assert FeedbackStore(api_runtime.db).list(rating="up", limit=1)[0].user == "omar.haddad@acme.com"


def test_unreadable_document_is_dropped_like_an_unknown_one(client: TestClient, api_runtime: Runtime) -> None:
    secret = doc_id(api_runtime, "Secrets Rotation Procedure")
    bodies = []
    for ids in ([secret], ["no-such-doc"]):
        body = {"question": "q?", "doc_ids": ids, "rating": "down"}
        response = client.post("/v1/feedback", json=body, headers=auth("engineer"))
        assert response.status_code == 201
        assert response.json()["doc_ids"] == []
        bodies.append({k: v for k, v in response.json().items() if k not in ("id", "at")})
    assert bodies[0] == bodies[1]
    assert all(secret not in f.doc_ids for f in FeedbackStore(api_runtime.db).list())
    ok = client.post(
        "/v1/feedback",
        json={"question": "q?", "doc_ids": [secret], "rating": "down"},
        headers=auth("security"),
    )
    assert ok.status_code == 201
    assert ok.json()["doc_ids"] == [secret]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "  ", "rating": "up"}, "question"),
        ({"question": "q", "rating": "meh"}, "rating"),
        ({"question": "q", "rating": "up", "comment": "x" * 2001}, "comment"),
        ({"question": "q", "rating": "up", "extra": 1}, "extra"),
    ],
)
def test_bad_feedback_names_the_field(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/v1/feedback", json=body, headers=auth("engineer"))
    assert response.status_code == 422
    assert field in response.text


def test_feedback_needs_a_token(client: TestClient) -> None:
    assert client.post("/v1/feedback", json={"question": "q", "rating": "up"}).status_code == 401
