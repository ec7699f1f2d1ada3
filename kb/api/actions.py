"""Search and ask as one caller: limits, the Retriever (which applies the caller's ACL first),
the answerer and the audit row, returning the API's response models.

Shared by ``POST /v1/search`` / ``POST /v1/ask`` and the MCP tools (``kb.mcp.tools``), so both
entry points apply the same limits, write the same audit rows and answer the same shapes.
"""

from __future__ import annotations

from time import perf_counter

from kb.answer import Answerer
from kb.api.schemas import AskResponse, SearchResponse, check_limits
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.audit import AuditRecorder


def search(
    runtime: Runtime,
    audit: AuditRecorder,
    principal: Principal,
    question: str,
    top_k: int | None,
    field: str = "question",
) -> SearchResponse:
    """``field`` names the request field the question came in (for the limit's error)."""
    check_limits(field, question, top_k, runtime.settings.api)
    with audit.call(principal, "search", question) as call:
        result = runtime.retriever.search(question, principal, top_k=top_k, now=runtime.clock.now())
        call.doc_ids = [h.doc.doc_id for h in result.hits]
    return SearchResponse.from_result(result)


def ask(
    runtime: Runtime,
    audit: AuditRecorder,
    answerer: Answerer,
    principal: Principal,
    question: str,
    top_k: int | None,
) -> AskResponse:
    check_limits("question", question, top_k, runtime.settings.api)
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
