"""The two MCP tools, as plain functions of (runtime, principal, arguments).

They run what ``POST /v1/search`` and ``POST /v1/ask`` run (``kb.api.actions``): the same
response models, the same limits (``api.max_question_chars``, ``api.max_top_k``) and write the same
audit rows, so an assistant connected over MCP sees what the caller would see in the API and
nothing more: the Retriever applies the caller's ACL before anything is ranked or counted.
"""

from __future__ import annotations

from kb.answer import Answerer
from kb.api import actions
from kb.api.schemas import AskResponse, SearchResponse
from kb.errors import BadRequest
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.audit import AuditRecorder


def _question(question: str) -> str:
    if not question.strip():
        raise BadRequest("must not be empty or only whitespace", subject="question")
    return question


def search(
    runtime: Runtime, audit: AuditRecorder, principal: Principal, question: str, top_k: int | None
) -> SearchResponse:
    return actions.search(runtime, audit, principal, _question(question), top_k)


def ask(
    runtime: Runtime,
    audit: AuditRecorder,
    answerer: Answerer,
    principal: Principal,
    question: str,
    top_k: int | None,
) -> AskResponse:
    return actions.ask(runtime, audit, answerer, principal, _question(question), top_k)
