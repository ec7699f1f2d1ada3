"""OpenAIAnswerer against a real OpenAI-compatible HTTP server on loopback: the prompt, the key,
citation parsing, and every failure mode mapped to AnswerError (502) without leaking the key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kb.answer.openai import OpenAIAnswerer, cited_numbers
from kb.config import AnswerSettings
from kb.errors import AnswerError, ConfigError
from kb.search.retrieval import SearchResult
from tests.kb.answer.test_extractive import BILLING, SPEC_2021
from tests.kb.api.chat_server import ChatServer, Script, chat_server
from tests.kb.api.conftest import auth

KEY = "sk-test-do-not-leak-0123456789"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    monkeypatch.setenv("KB_TEST_OPENAI_KEY", KEY)
    with chat_server() as s:
        yield s


def answerer(server: ChatServer, **openai: object) -> OpenAIAnswerer:
    cfg = {"base_url": server.base_url, "model": "test-model", "api_key_env": "KB_TEST_OPENAI_KEY", **openai}
    return OpenAIAnswerer(AnswerSettings.model_validate({"mode": "openai", "openai": cfg}))


RESULT = SearchResult(
    query="q", hits=[BILLING, SPEC_2021], warnings=["'Billing Spec (2021)' also matches but is superseded"]
)


def test_prompt_has_numbered_sources_and_the_key_arrives_as_bearer(server: ChatServer) -> None:
    server.script = Script(
        content="Invoices move to Stripe on 1 December 2026 [1]. Before that, "
        "Chargebee generated them [2][7]."
    )
    answer = answerer(server).answer("When do invoices move to Stripe?", RESULT)
    req = server.requests[-1]
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.body["model"] == "test-model"
    system, user = req.body["messages"]
    assert system["role"] == "system" and "ONLY from the numbered sources" in system["content"]
    assert "[1] Billing Migration Q4 2026 (status: fresh" in user["content"]
    assert "Question: When do invoices move to Stripe?" in user["content"]
    # A superseded source is left out while a current one answers...
    assert "Billing Spec (2021)" not in user["content"] and "legacy Chargebee" not in user["content"]
    # ...so [2] and [7] name no given source: dropped from the text and from the citations.
    assert answer.text.endswith("Chargebee generated them.")
    assert [(c.n, c.title) for c in answer.citations] == [(1, "Billing Migration Q4 2026")]
    assert answer.warnings[0] == RESULT.warnings[0]
    assert answer.answerer == "openai"


def test_stale_sources_are_given_when_nothing_current_matches(server: ChatServer) -> None:
    server.script = Script(content="Chargebee generates invoices nightly [1].")
    answer = answerer(server).answer("How are invoices generated?", SearchResult(query="q", hits=[SPEC_2021]))
    assert "[1] Billing Spec (2021) (status: superseded" in server.last_prompt
    assert answer.citations[0].successor is not None
    assert any("superseded" in w for w in answer.warnings)


def test_nothing_relevant_does_not_call_the_model(server: ChatServer) -> None:
    answer = answerer(server).answer("anything", SearchResult(query="q"))
    assert answer.citations == [] and "No relevant documents" in answer.text
    assert server.requests == []


def test_reply_without_citations_is_flagged(server: ChatServer) -> None:
    server.script = Script(content="Stripe, from December.")
    answer = answerer(server).answer("When?", RESULT)
    assert answer.citations == []
    assert any("cited no sources" in w for w in answer.warnings)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (Script(status=500), "answer endpoint returned HTTP 500"),
        (Script(status=401), "answer endpoint returned HTTP 401"),
        (Script(raw_body=b"<html>gateway</html>"), "malformed response"),
        (Script(raw_body=b'{"choices": []}'), "malformed response"),
        (Script(raw_body=b'{"choices": [{"message": {"content": ""}}]}'), "malformed response"),
        (Script(delay_s=2.0), "timed out after 0.5s"),
    ],
)
def test_endpoint_failures_are_answer_errors_naming_the_endpoint(
    server: ChatServer, script: Script, message: str
) -> None:
    server.script = script
    with pytest.raises(AnswerError) as info:
        answerer(server, timeout_s=0.5).answer("When?", RESULT)
    assert message in info.value.message
    assert info.value.subject == f"{server.base_url}/chat/completions"
    assert info.value.http_status == 502
    assert KEY not in str(info.value) and info.value.__cause__ is None


def test_unreachable_endpoint_is_an_answer_error() -> None:
    with chat_server() as s:
        url = s.base_url
    with pytest.raises(AnswerError, match="cannot reach answer endpoint"):
        OpenAIAnswerer(
            AnswerSettings.model_validate({"mode": "openai", "openai": {"base_url": url, "model": "m"}})
        ).answer("When?", RESULT)


def test_missing_endpoint_configuration_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        OpenAIAnswerer(AnswerSettings(mode="openai"))


def test_cited_numbers_accepts_lists_and_drops_unknown_numbers() -> None:
    assert cited_numbers("A [2, 1]. B [3]. C [9] .", 3) == ("A [2][1]. B [3]. C.", [2, 1, 3])


@pytest.mark.slow
def test_api_ask_with_openai_sends_only_readable_sources(server: ChatServer, client: TestClient) -> None:
    """Through the API: the engineer's prompt holds the open handbook but not the HR-only draft
    policy, while the HR user's prompt holds both; citations come back with freshness."""
    app = client.app
    previous = app.state.answerer  # type: ignore[attr-defined]
    app.state.answerer = answerer(server)  # type: ignore[attr-defined]
    try:
        server.script = Script(content="The bands are listed per level [1].")
        question = "How many weeks of parental leave do parents get?"
        resp = client.post("/v1/ask", json={"question": question}, headers=auth("engineer"))
        assert resp.status_code == 200, resp.text
        assert len(server.requests) == 1
        assert "Employee Handbook 2026" in server.last_prompt
        assert "Parental Leave Policy (Draft)" not in server.last_prompt
        assert resp.json()["answerer"] == "openai"
        resp = client.post("/v1/ask", json={"question": question}, headers=auth("hr"))
        assert "Parental Leave Policy (Draft)" in server.last_prompt
        assert resp.json()["citations"][0]["status"]

        server.script = Script(status=503)
        resp = client.post("/v1/ask", json={"question": question}, headers=auth("hr"))
        assert resp.status_code == 502
        assert resp.json()["error"]["type"] == "AnswerError"
        assert KEY not in resp.text and server.base_url in resp.text
    finally:
        app.state.answerer = previous  # type: ignore[attr-defined]
