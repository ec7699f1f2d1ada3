"""Inferred successors by value: same title + similar content + clearly newer is a guess with a
plain-words reason; an older, a same-day, a dissimilar or a deprecated page is not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from kb.config import Settings
from kb.lifecycle.inference import infer
from kb.lifecycle.successors import Decision, Relations, judge
from kb.records import Document
from kb.search.lexical import tokenize

OLD, NEW, OTHER = "notion:" + "a" * 32, "notion:" + "b" * 32, "notion:" + "c" * 32
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def page(doc_id: str, title: str, edited: datetime, **kw: Any) -> Document:
    return Document(doc_id=doc_id, source="notion", title=title, last_edited_at=edited, **kw)


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


VECTORS = {OLD: unit(1, 0.2, 0), NEW: unit(1, 0.35, 0), OTHER: unit(0, 0, 1)}


def test_a_newer_page_with_the_same_title_and_content_is_a_guessed_successor() -> None:
    docs = [
        page(OLD, "Creating Pingdom checks", datetime(2019, 3, 1, tzinfo=UTC)),
        page(NEW, "Creating Pingdom checks", datetime(2024, 5, 1, tzinfo=UTC)),
        page(OTHER, "Creating Pingdom checks", datetime(2025, 5, 1, tzinfo=UTC)),  # other content
    ]
    got = infer(docs, VECTORS, tokenize)
    assert list(got) == [OLD]
    (guess,) = got[OLD]
    assert (guess.doc_id, guess.inferred, guess.basis) == (NEW, True, "inferred")
    assert (
        guess.reason
        == "newer page with a near-identical title and 0.99 similar content, edited 5 years later"
    )
    assert 0.9 < guess.confidence <= 1.0


def test_no_guess_for_same_day_edits_different_titles_or_deprecated_newer_pages() -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    assert infer([page(OLD, "Logging", day), page(NEW, "Logging", day)], VECTORS, tokenize) == {}
    titles = [page(OLD, "Logging", datetime(2019, 1, 1, tzinfo=UTC)), page(NEW, "Alerting rules", day)]
    related = {OLD: unit(1, 0.2, 0), NEW: unit(1, 0.9, 0)}  # cosine 0.86: same area, not the same page
    assert infer(titles, related, tokenize) == {}
    gone = [
        page(OLD, "Logging", datetime(2019, 1, 1, tzinfo=UTC)),
        page(NEW, "Logging", day, status="deprecated"),
    ]
    assert infer(gone, VECTORS, tokenize) == {}


def test_stated_links_and_owner_answers_win_over_guesses() -> None:
    old = page(OLD, "Logging", datetime(2019, 1, 1, tzinfo=UTC), superseded_by=OTHER)
    new = page(NEW, "Logging", datetime(2024, 1, 1, tzinfo=UTC))
    other = page(OTHER, "Log shipping", datetime(2024, 2, 1, tzinfo=UTC))
    rel = Relations.of([old, new, other])
    guesses = infer([old, new], VECTORS, tokenize)[OLD]
    stated = judge(old, NOW, Settings(), relations=rel, readable=lambda _: True, inferred=guesses)
    assert stated.successor is not None and (stated.successor.doc_id, stated.successor.inferred) == (
        OTHER,
        False,
    )
    bare = old.model_copy(update={"superseded_by": None})
    guessed = judge(bare, NOW, Settings(), relations=rel, readable=lambda _: True, inferred=guesses)
    assert guessed.successor is not None and guessed.successor.inferred
    assert guessed.freshness.reasons[0].startswith("probably replaced by 'Logging'")
    refused = judge(
        bare,
        NOW,
        Settings(),
        relations=rel,
        readable=lambda _: True,
        inferred=guesses,
        decisions=[Decision(old=OLD, new=NEW, replaced=False)],
    )
    assert refused.successor is None
    unreadable = judge(bare, NOW, Settings(), relations=rel, readable=lambda d: d != NEW, inferred=guesses)
    assert unreadable.successor is None
