"""The two MCP tools, as plain functions of (runtime, principal, arguments).

They return exactly what ``POST /v1/search`` and ``POST /v1/ask`` return (the API's response
models), apply the same limits (``api.max_question_chars``, ``api.max_top_k``) and write the same
audit rows, so an assistant connected over MCP sees what the caller would see in the API and
nothing more: the Retriever applies the caller's ACL before anything is ranked or counted.
"""

from __future__ import annotations

from time import perf_counter

from kb.answer import Answerer
from kb.api.schemas import AskResponse, SearchHitOut, SearchResponse, check_limits
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
    check_limits("question", _question(question), top_k, runtime.settings.api)
    with audit.call(principal, "search", question) as call:
        result = runtime.retriever.search(question, principal, top_k=top_k, now=runtime.clock.now())
        call.doc_ids = [h.doc.doc_id for h in result.hits]
    return SearchResponse(
        query=result.query,
        results=[SearchHitOut.from_hit(h) for h in result.hits],
        warnings=result.warnings,
        took_ms=result.took_ms,
    )


def ask(
    runtime: Runtime,
    audit: AuditRecorder,
    answerer: Answerer,
    principal: Principal,
    question: str,
    top_k: int | None,
) -> AskResponse:
    check_limits("question", _question(question), top_k, runtime.settings.api)
    started = perf_counter()
    with audit.call(principal, "ask", question) as call:
        result = runtime.retriever.search(question, principal, top_k=top_k, now=runtime.clock.now())
        answer = answerer.answer(question, result)
        call.doc_ids = [c.doc_id for c in answer.citations]
    return AskResponse(
        answer=answer.text,
        citations=answer.citations,
        warnings=answer.warnings,
        answerer=answer.answerer,
        took_ms=round((perf_counter() - started) * 1000, 1),
    )
