"""``kb mcp --transport http``: the SDK's own client over streamable HTTP on loopback, with the
API's bearer tokens; each call sees only what its token's principal may read."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from kb.runtime import Runtime
from kb.store.audit import AuditLog
from tests.conftest import EXAMPLE_NOW
from tests.kb.api.conftest import USERS

pytestmark = pytest.mark.slow


def call(base: str, user: str | None, tool: str, args: dict[str, Any], token: str | None = None) -> Any:
    """Connect with the SDK client as ``user`` (or with a raw ``token``), call one tool."""
    bearer = token if token is not None else USERS[user][0] if user else None

    async def run() -> Any:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=120) as http,
            Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
        ):
            if tool == "list":
                return await client.list_tools()
            return await client.call_tool(tool, args)

    return asyncio.run(run())


def titles(result: Any) -> list[str]:
    data = result.structured_content
    return [r["title"] for r in data.get("results", data.get("citations", []))]


def test_lists_search_and_ask_as_read_only_tools(mcp_url: str) -> None:
    tools = {t.name: t for t in call(mcp_url, "engineer", "list", {}).tools}
    assert set(tools) == {"search", "ask"}
    for tool in tools.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint
        assert "question" in tool.input_schema["required"]


@pytest.mark.parametrize("token", [None, "not-a-token", "tok-engineer extra"])
def test_request_without_a_valid_token_gets_401(mcp_url: str, token: str | None) -> None:
    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    init = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    response = httpx.post(f"{mcp_url}/mcp", json=init, headers=headers, timeout=30)
    assert response.status_code == 401
    assert "Secrets" not in response.text


def test_sdk_client_with_a_bad_token_cannot_connect(mcp_url: str) -> None:
    # The SDK turns the 401 into an MCPError inside its task group; the 401 itself is checked above.
    with pytest.raises(BaseExceptionGroup) as err:
        call(mcp_url, None, "list", {}, token="wrong-token")
    assert err.group_contains(MCPError)


@pytest.mark.parametrize(("user", "visible"), [("security", True), ("admin", True), ("engineer", False)])
def test_search_shows_restricted_documents_only_to_their_readers(
    mcp_url: str, user: str, visible: bool
) -> None:
    result = call(
        mcp_url, user, "search", {"question": "secrets rotation procedure for leaked API keys", "top_k": 10}
    )
    assert not result.is_error
    assert ("Secrets Rotation Procedure" in titles(result)) is visible
    if not visible:
        assert "Secrets Rotation Procedure" not in json.dumps(result.model_dump(mode="json"))


def test_search_ranks_as_the_retriever_does_for_that_reader(mcp_url: str, api_runtime: Runtime) -> None:
    from kb.records import Principal

    question = "How do I deploy a service?"
    result = call(mcp_url, "engineer", "search", {"question": question, "top_k": 5})
    _, user, groups, _ = USERS["engineer"]
    expected = api_runtime.retriever.search(
        question, Principal(user=user, groups=frozenset(groups)), top_k=5, now=EXAMPLE_NOW
    )
    got = result.structured_content["results"]
    assert [r["doc_id"] for r in got] == [h.doc.doc_id for h in expected.hits]
    assert all(r["snippets"] and r["status"] and "owner" in r and "last_reviewed_at" in r for r in got)


def test_ask_cites_restricted_sources_only_for_their_readers(mcp_url: str, api_runtime: Runtime) -> None:
    question = "How do I roll the Stripe API key?"
    sec = call(mcp_url, "security", "ask", {"question": question})
    assert "Secrets Rotation Procedure" in titles(sec)
    assert "12-hour expiry" in sec.structured_content["answer"]
    eng = call(mcp_url, "engineer", "ask", {"question": question})
    dumped = json.dumps(eng.model_dump(mode="json"))
    assert "Secrets Rotation Procedure" not in dumped and "12-hour expiry" not in dumped
    api_runtime.audit.flush()  # queued off the request path
    entry = AuditLog(api_runtime.db).entries(user="alice.chen@acme.com", limit=1)[0]
    assert (entry.action, entry.query) == ("ask", question)
    assert entry.doc_ids == [c["doc_id"] for c in eng.structured_content["citations"]]


def test_ask_warns_about_a_superseded_source(mcp_url: str) -> None:
    result = call(mcp_url, "engineer", "ask", {"question": "How are invoices generated?"})
    warnings = result.structured_content["warnings"]
    assert any("'Billing Spec (2021)'" in w and "'Billing Migration Q4 2026'" in w for w in warnings)


@pytest.mark.parametrize(
    ("args", "named"),
    [({"question": "   "}, "question"), ({"question": "deploy", "top_k": 999}, "top_k"), ({}, "question")],
)
def test_bad_arguments_are_tool_errors_naming_the_argument(
    mcp_url: str, args: dict[str, Any], named: str
) -> None:
    result = call(mcp_url, "engineer", "search", args)
    assert result.is_error
    assert named in result.content[0].text
