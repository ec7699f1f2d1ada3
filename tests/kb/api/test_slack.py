"""``POST /v1/slack/events``: Slack-signed requests only, the Slack user mapped to a FreshKB
principal by email (users.info on a loopback stand-in for slack.com), answers posted to the
thread with citations and freshness warnings, and never a source the reply's readers may not read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.api.slack import NOT_LINKED, sign
from kb.clock import FixedClock
from kb.runtime import Runtime
from kb.store.audit import AuditLog
from tests.conftest import EXAMPLE_NOW
from tests.kb.api.live import serve
from tests.kb.api.slack_server import BOT_TOKEN, slack_app

pytestmark = pytest.mark.slow

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DIRECTORY = {
    "U_SEC": "sam.okafor@acme.com",  # group security@acme.com (a test token's user)
    "U_ENG": "alice.chen@acme.com",  # engineering only
    "U_GONE": "marcus.webb@acme.com",  # in [[people]] but has left
    "U_STRANGER": "someone@elsewhere.example",
}
STRIPE = "How do I roll the Stripe API key?"
POSTS: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def slack_client(api_runtime: Runtime) -> Iterator[TestClient]:
    with serve(slack_app(DIRECTORY, POSTS)) as slack_base:
        settings = api_runtime.settings.model_copy(deep=True)
        settings.slack.api_base_url = f"{slack_base}/api"
        rt = Runtime(settings, embedder=api_runtime.embedder, clock=FixedClock(EXAMPLE_NOW))
        with TestClient(create_app(rt, warm=False)) as client:
            yield client
        rt.close()


@pytest.fixture(autouse=True)
def _slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    POSTS.clear()


def send(
    client: TestClient,
    body: bytes,
    content_type: str,
    *,
    secret: str = SECRET,
    age_s: int = 0,
    tamper: bool = False,
) -> Any:
    ts = str(int(time.time()) - age_s)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, body),
    }
    return client.post("/v1/slack/events", content=body + (b" " if tamper else b""), headers=headers)


def event(client: TestClient, ev: dict[str, Any]) -> Any:
    body = json.dumps({"type": "event_callback", "event": ev}).encode()
    return send(client, body, "application/json")


def slash(client: TestClient, user: str, text: str) -> Any:
    body = urlencode({"command": "/kb", "text": text, "user_id": user, "channel_id": "C_ENG"}).encode()
    return send(client, body, "application/x-www-form-urlencoded")


def test_url_verification_echoes_the_challenge(slack_client: TestClient) -> None:
    body = json.dumps(
        {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    )
    response = send(slack_client, body.encode(), "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"secret": "not-the-secret"}, "invalid Slack signature"),
        ({"tamper": True}, "invalid Slack signature"),
        ({"age_s": 301}, "replay window"),
        ({"age_s": -301}, "replay window"),
    ],
)
def test_badly_signed_requests_get_401_and_no_answer(
    slack_client: TestClient, kwargs: dict[str, Any], named: str
) -> None:
    body = urlencode({"command": "/kb", "text": STRIPE, "user_id": "U_SEC", "channel_id": "C1"}).encode()
    response = send(slack_client, body, "application/x-www-form-urlencoded", **kwargs)
    assert response.status_code == 401
    assert named in response.json()["error"]["message"]
    assert POSTS == []


def test_unsigned_request_gets_401(slack_client: TestClient) -> None:
    response = slack_client.post("/v1/slack/events", json={"type": "url_verification", "challenge": "x"})
    assert response.status_code == 401 and "x" not in response.json().get("challenge", "")


def test_without_a_signing_secret_the_endpoint_says_what_to_set(
    slack_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    response = send(slack_client, b'{"type": "url_verification", "challenge": "x"}', "application/json")
    assert response.status_code == 404  # the endpoint is off until configured
    assert "SLACK_SIGNING_SECRET" in response.json()["error"]["message"]


def test_slash_command_answers_the_asker_privately_with_their_acl(slack_client: TestClient) -> None:
    response = slash(slack_client, "U_SEC", STRIPE)
    assert response.status_code == 200 and response.json()["response_type"] == "ephemeral"
    [post] = POSTS
    assert (post["method"], post["channel"], post["user"]) == ("chat.postEphemeral", "C_ENG", "U_SEC")
    assert "Secrets Rotation Procedure" in post["text"] and "12-hour expiry" in post["text"]
    assert "last reviewed" in post["text"]


def test_user_who_may_not_read_the_sources_gets_none_of_them(
    slack_client: TestClient, api_runtime: Runtime
) -> None:
    slash(slack_client, "U_ENG", STRIPE)
    [post] = POSTS
    assert post["user"] == "U_ENG"
    assert "Secrets Rotation Procedure" not in post["text"] and "12-hour expiry" not in post["text"]
    slack_client.app.state.audit.flush()  # the serving app's queue, off the request path
    entry = AuditLog(api_runtime.db).entries(user="alice.chen@acme.com", limit=1)[0]
    assert (entry.action, entry.query) == ("ask", STRIPE)


def test_mention_in_a_channel_answers_in_the_thread_from_open_documents_only(
    slack_client: TestClient,
) -> None:
    ev = {
        "type": "app_mention",
        "user": "U_SEC",
        "text": f"<@UBOT> {STRIPE}",
        "channel": "C_ENG",
        "ts": "171.5",
    }
    assert event(slack_client, ev).status_code == 200
    [post] = POSTS
    assert (post["method"], post["channel"], post["thread_ts"]) == ("chat.postMessage", "C_ENG", "171.5")
    # The whole channel reads the thread: the security group's procedure is not cited there.
    assert "Secrets Rotation Procedure" not in post["text"] and "12-hour expiry" not in post["text"]


def test_direct_message_answers_with_the_askers_acl(slack_client: TestClient) -> None:
    ev = {
        "type": "message",
        "channel_type": "im",
        "user": "U_SEC",
        "text": STRIPE,
        "channel": "D1",
        "ts": "9.1",
    }
    event(slack_client, ev)
    [post] = POSTS
    assert post["channel"] == "D1" and "Secrets Rotation Procedure" in post["text"]


def test_answer_carries_citations_and_freshness_warnings(slack_client: TestClient) -> None:
    ev = {
        "type": "app_mention",
        "user": "U_ENG",
        "text": "<@UBOT> How are invoices generated?",
        "channel": "C1",
        "ts": "1.0",
    }
    event(slack_client, ev)
    [post] = POSTS
    assert "[1] <" in post["text"]  # a numbered citation linking to its source
    assert any(
        line.startswith(":warning:") and "Billing Spec (2021)" in line and "Billing Migration Q4 2026" in line
        for line in post["text"].splitlines()
    )


@pytest.mark.parametrize("user", ["U_STRANGER", "U_GONE", "U_MISSING"])
def test_unknown_or_departed_users_get_no_answer(slack_client: TestClient, user: str) -> None:
    slash(slack_client, user, "How are invoices generated?")
    if user == "U_MISSING":  # users.info fails: nothing can be said to whom
        assert POSTS == []
        return
    [post] = POSTS
    assert post["text"] == NOT_LINKED


@pytest.mark.parametrize(
    "ev",
    [
        {
            "type": "message",
            "channel_type": "im",
            "bot_id": "B1",
            "user": "U_SEC",
            "text": STRIPE,
            "channel": "D1",
        },
        {"type": "message", "channel_type": "channel", "user": "U_SEC", "text": STRIPE, "channel": "C1"},
        {"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D1"},
    ],
)
def test_bot_edits_and_plain_channel_messages_are_not_questions(
    slack_client: TestClient, ev: dict[str, Any]
) -> None:
    assert event(slack_client, ev).status_code == 200
    assert POSTS == []


def test_slack_retries_are_acknowledged_and_not_answered_twice(slack_client: TestClient) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event": {"type": "app_mention", "user": "U_ENG", "text": "hi", "channel": "C1", "ts": "1"},
        }
    ).encode()
    ts = str(int(time.time()))
    response = slack_client.post(
        "/v1/slack/events",
        content=body,
        headers={
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(SECRET, ts, body),
            "X-Slack-Retry-Num": "1",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200 and POSTS == []
