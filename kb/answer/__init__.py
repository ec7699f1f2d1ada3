"""Answers with citations composed from search results.

Owns: the ``Answerer`` protocol and its models (``base``), the offline extractive answerer
(``extractive``, with sentence splitting in ``sentences``), the OpenAI-compatible answerer
(``openai``), and ``make_answerer``, the factory that picks one from ``[answer]`` settings.
May import: ``kb.search`` (the results it answers from) and the foundation (config, records,
errors); never ``kb.api`` or ``kb.cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.answer.base import NOTHING_FOUND, Answer, Answerer, Citation, SourceRef

if TYPE_CHECKING:
    from kb.runtime import Runtime

__all__ = ["NOTHING_FOUND", "Answer", "Answerer", "Citation", "SourceRef", "make_answerer"]


def make_answerer(runtime: Runtime) -> Answerer:
    """The answerer ``settings.answer.mode`` asks for."""
    settings = runtime.settings.answer
    if settings.mode == "openai":
        from kb.answer.openai import OpenAIAnswerer

        return OpenAIAnswerer(settings)
    from kb.answer.extractive import extractive_answerer

    return extractive_answerer(runtime)
