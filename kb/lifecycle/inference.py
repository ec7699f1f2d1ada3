"""Inferred successors: newer readable pages on the same topic as an older one, guessed from
titles, content and dates when nothing states the link (real handbooks rarely link them).

Pure: records, document vectors (the mean of each document's chunk vectors) and a title
tokenizer in, ``Successor`` guesses out. ``kb.lifecycle.successors.judge`` uses a guess only when
no owner decision, property, ``supersedes`` or banner names a successor, and never for a pair
an owner answered "not replaced".

A newer page ``b`` is taken to replace an older page ``a`` when

- ``b`` was edited (or reviewed) at least ``MIN_GAP_DAYS`` after ``a``: clearly later, not the
  same edit session;
- ``b`` is not itself deprecated, archived or superseded;
- the pages look like the same page: near-identical titles (token Jaccard >= ``SAME_TITLE``)
  with similar content (cosine >= ``TITLE_CONTENT``), or near-identical content (cosine >=
  ``SAME_CONTENT``) whatever the titles.

Confidence is the mean of the title and content similarities. Thresholds are set from the
cloud-platform and gds-way dev halves (docs/ranking.md): renamed and rewritten pages there have
title Jaccard 1.0 and content cosine 0.7-0.98; distinct live pages on one topic rarely pass both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import numpy as np

from kb.clock import utc
from kb.lifecycle.successors import Successor
from kb.records import ARCHIVED, DEPRECATED, Document

MIN_GAP_DAYS = 60
SAME_TITLE = 0.6
TITLE_CONTENT = 0.6
SAME_CONTENT = 0.92


def edited(doc: Document) -> datetime | None:
    """The latest date the source shows for the page (edit or review)."""
    dates = [utc(d) for d in (doc.last_edited_at, doc.last_reviewed_at) if d is not None]
    return max(dates) if dates else None


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _years(days: int) -> str:
    if days >= 730:
        return f"{days // 365} years"
    if days >= 60:
        return f"{round(days / 30.4)} months"
    return f"{days} days"


def infer(
    docs: Sequence[Document],
    vectors: Mapping[str, np.ndarray],
    tokenize: Callable[[str], list[str]],
) -> dict[str, list[Successor]]:
    """old doc id -> guessed successors among ``docs``, most confident first."""
    titles = {d.doc_id: set(tokenize(d.title)) for d in docs}
    dates = {d.doc_id: edited(d) for d in docs}
    out: dict[str, list[tuple[float, Successor]]] = {}
    for a in docs:
        da = dates[a.doc_id]
        va = vectors.get(a.doc_id)
        if da is None:
            continue
        for b in docs:
            db = dates[b.doc_id]
            if b.doc_id == a.doc_id or db is None or (db - da).days < MIN_GAP_DAYS:
                continue
            if b.status.lower() in (ARCHIVED, DEPRECATED) or b.superseded_by:
                continue
            vb = vectors.get(b.doc_id)
            content = float(va @ vb) if va is not None and vb is not None else 0.0
            title = _jaccard(titles[a.doc_id], titles[b.doc_id])
            if not ((title >= SAME_TITLE and content >= TITLE_CONTENT) or content >= SAME_CONTENT):
                continue
            kind = "a near-identical title" if title >= SAME_TITLE else "a different title"
            reason = (
                f"newer page with {kind} and {content:.2f} similar content, "
                f"edited {_years((db - da).days)} later"
            )
            s = Successor(
                doc_id=b.doc_id,
                title=b.title,
                url=b.url,
                basis="inferred",
                inferred=True,
                confidence=round((title + content) / 2, 3),
                reason=reason,
            )
            out.setdefault(a.doc_id, []).append((s.confidence, s))
    return {k: [s for _, s in sorted(v, key=lambda t: (-t[0], t[1].doc_id))] for k, v in out.items()}
