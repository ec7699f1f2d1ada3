"""``OpenAIAnswerer``: answers from an OpenAI-compatible ``/chat/completions`` endpoint.

The model sees only the numbered snippets of sources the caller may read (the retriever applied
the ACL already) and is told to answer from them alone with ``[n]`` citations. Citations are
parsed back from the reply and restricted to the numbers actually given, so a model cannot cite a
document that was never in its prompt. Failures (timeouts, HTTP errors, malformed replies) become
``AnswerError`` naming the endpoint, never the API key.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import httpx

from kb.answer.base import NOTHING_FOUND, Answer, answer_sources, citation_for, stale_warnings
from kb.config import AnswerSettings
from kb.errors import AnswerError, ConfigError

if TYPE_CHECKING:
    from kb.search.retrieval import SearchHit, SearchResult

SYSTEM_PROMPT = (
    "You answer questions for employees from their company's internal knowledge base. "
    "Answer ONLY from the numbered sources below; do not use outside knowledge. "
    "After every sentence, cite the sources it comes from as [n] using their numbers. "
    "If the sources do not contain the answer, say that the knowledge base does not answer it. "
    "Prefer sources marked fresh over ones marked overdue, deprecated or superseded, and say so "
    "when you must rely on an outdated source. Be brief."
)
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def format_sources(sources: list[SearchHit]) -> str:
    blocks = []
    for n, hit in enumerate(sources, start=1):
        fr = hit.freshness
        reviewed = hit.doc.last_reviewed_at.date().isoformat() if hit.doc.last_reviewed_at else "never"
        text = "\n".join(hit.snippets)
        blocks.append(f"[{n}] {hit.doc.title} (status: {fr.status}; last reviewed: {reviewed})\n{text}")
    return "\n\n".join(blocks)


def cited_numbers(text: str, limit: int) -> tuple[str, list[int]]:
    """Numbers cited in ``text`` that name a given source (1..limit), in order of first use;
    markers naming anything else are removed from the text."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        nums = [int(x) for x in match.group(1).split(",")]
        valid = [n for n in nums if 1 <= n <= limit]
        cited.extend(n for n in valid if n not in cited)
        return "".join(f"[{n}]" for n in valid)

    cleaned = _MARKER.sub(keep, text)
    return re.sub(r"[ \t]+([.,;])", r"\1", cleaned).strip(), cited


class OpenAIAnswerer:
    name = "openai"

    def __init__(self, settings: AnswerSettings) -> None:
        cfg = settings.openai
        if not cfg.base_url or not cfg.model:
            raise ConfigError(
                "answer.mode is 'openai' but answer.openai.base_url or .model is empty",
                subject="answer.openai",
            )
        self._settings = settings
        self._url = cfg.base_url.rstrip("/") + "/chat/completions"

    def answer(self, question: str, result: SearchResult) -> Answer:
        sources = answer_sources(result, self._settings, self._settings.openai.max_sources)
        if not sources:
            # Nothing to ground an answer in: asking the model would only invite a guess.
            return Answer(text=NOTHING_FOUND, warnings=list(result.warnings), answerer=self.name)
        reply = self._complete(question, sources)
        text, numbers = cited_numbers(reply, len(sources))
        citations = [citation_for(n, sources[n - 1]) for n in numbers]
        warnings = list(result.warnings)
        if not citations:
            warnings.append("The model cited no sources; check the answer against the documents.")
        warnings += stale_warnings(citations, warnings)
        return Answer(text=text, citations=citations, warnings=warnings, answerer=self.name)

    def _complete(self, question: str, sources: list[SearchHit]) -> str:
        cfg = self._settings.openai
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body: dict[str, Any] = {
            "model": cfg.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Sources:\n\n{format_sources(sources)}\n\nQuestion: {question}"},
            ],
        }
        try:
            response = httpx.post(self._url, json=body, headers=headers, timeout=cfg.timeout_s)
        # ``from None``: httpx errors carry the request, and with it the Authorization header.
        except httpx.TimeoutException:
            raise AnswerError(
                f"answer endpoint timed out after {cfg.timeout_s:g}s", subject=self._url
            ) from None
        except httpx.HTTPError as err:
            raise AnswerError(
                f"cannot reach answer endpoint: {type(err).__name__}", subject=self._url
            ) from None
        if response.status_code >= 400:
            raise AnswerError(f"answer endpoint returned HTTP {response.status_code}", subject=self._url)
        return self._content(response)

    def _content(self, response: httpx.Response) -> str:
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str) or not content.strip():
            raise AnswerError(
                "answer endpoint sent a malformed response (no choices[0].message.content)", subject=self._url
            )
        return content
