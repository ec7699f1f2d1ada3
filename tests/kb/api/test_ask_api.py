"""POST /v1/ask over the example data with the default extractive answerer: answer text with [n]
citations carrying freshness, the 2021-spec warning, permissions per user, and the audit entry."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from kb.answer import NOTHING_FOUND
from kb.runtime import Runtime
from kb.store.audit import AuditLog
from tests.kb.api.conftest import auth

pytestmark = pytest.mark.slow


def ask(client: TestClient, user: str, question: str) -> dict:  # type: ignore[type-arg]
    resp = client.post("/v1/ask", json={"question": question}, headers=auth(user))
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_billing_answer_cites_the_current_doc_and_warns_about_the_2021_spec(client: TestClient) -> None:
    body = ask(client, "engineer", "How are invoices generated?")
    assert body["answerer"] == "extractive"
    assert "Stripe Billing creates the invoice" in body["answer"]
    assert "Perl invoicer, `invoicer.pl`" not in body["answer"]  # the outdated spec is not quoted
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert numbers == {c["n"] for c in body["citations"]}
    first = body["citations"][0]
    assert first["title"] == "Billing Migration Q4 2026" and first["n"] == 1
    assert first["status"] == "fresh"
    assert first["owner"] == "priya.nair@acme.com"
    assert first["last_reviewed_at"].startswith("2026-10-20")
    assert first["url"].startswith("https://docs.google.com/")
    assert any(
        "'Billing Spec (2021)' also matches but was last reviewed 2021-03-01" in w
        and "'Billing Migration Q4 2026'" in w
        for w in body["warnings"]
    )


def test_hr_answer_only_for_hr(client: TestClient) -> None:
    question = "What are the salary bands for a senior software engineer?"
    hr = ask(client, "hr", question)
    assert "Compensation Bands 2026" in [c["title"] for c in hr["citations"]]
    engineer = ask(client, "engineer", question)
    assert "Compensation Bands" not in json.dumps(engineer)
    assert "175,000" not in engineer["answer"]


def test_security_answer_only_for_security(client: TestClient) -> None:
    # Only the restricted procedure says how to roll the Stripe key. (For "an API key leaked"
    # the open Security Awareness FAQ answers on its own, so it need not cite the procedure.)
    question = "How do I roll the Stripe API key?"
    sec = ask(client, "security", question)
    assert "Secrets Rotation Procedure" in [c["title"] for c in sec["citations"]]
    assert "12-hour expiry" in sec["answer"]
    for q in (question, "What do I do when an API key leaked?"):
        for user in ("engineer", "outsider"):
            body = ask(client, user, q)
            assert "Secrets Rotation Procedure" not in json.dumps(body)
            assert "12-hour expiry" not in body["answer"]


def test_unrelated_question_says_nothing_relevant_was_found(client: TestClient) -> None:
    body = ask(client, "outsider", "What is the airspeed velocity of an unladen swallow?")
    assert body["answer"] == NOTHING_FOUND
    assert body["citations"] == []


def test_each_ask_is_audited_with_the_cited_documents(client: TestClient, api_runtime: Runtime) -> None:
    body = ask(client, "hr", "How many weeks of parental leave do birthing parents get?")
    client.app.state.audit.flush()  # type: ignore[attr-defined]  # written off the request path
    entry = AuditLog(api_runtime.db).entries(user="omar.haddad@acme.com", limit=1)[0]
    assert entry.action == "ask"
    assert entry.query == "How many weeks of parental leave do birthing parents get?"
    assert entry.doc_ids == [c["doc_id"] for c in body["citations"]]
