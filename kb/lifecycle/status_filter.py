"""The ``status`` filter of ``GET /v1/docs`` and ``kb docs --status``: one set of accepted values
and one meaning, so the API and the CLI list the same documents.

A filter value is a document status from the source or configuration (``active``, ``draft``, ...)
or a freshness status (``fresh``, ``overdue``, ``superseded``, ...); a document matches when
either of its statuses equals it.
"""

from __future__ import annotations

from typing import get_args

from kb.lifecycle.freshness import Freshness, Status
from kb.records import ACTIVE, ARCHIVED, DEPRECATED, DRAFT, Document

FRESHNESS_STATUSES = frozenset(get_args(Status))
DOC_STATUSES = frozenset({ACTIVE, DEPRECATED, ARCHIVED, DRAFT})
STATUS_FILTERS = FRESHNESS_STATUSES | DOC_STATUSES


def unknown_status(status: str | None) -> str | None:
    """The error message for a value no document can have; None when ``status`` is usable."""
    if status is None or status in STATUS_FILTERS:
        return None
    return f"unknown status '{status}'; use one of {', '.join(sorted(STATUS_FILTERS))}"


def matches_status(status: str | None, doc: Document, freshness: Freshness) -> bool:
    return status is None or status in (doc.status, freshness.status)
