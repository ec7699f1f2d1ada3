"""Folding near-duplicates in a ranked list (kb.search.duplicates.fold): pure, on Ranked records."""

from __future__ import annotations

from kb.records import Document
from kb.search.duplicates import fold
from kb.search.ranking import Ranked

DOCS = {
    i: Document(
        doc_id=i, source="notion" if i.startswith("notion") else "gdrive", title=t, url=f"https://x/{t}"
    )
    for i, t in (("notion:a", "Checklist"), ("gdrive:1a", "Checklist (Drive)"), ("notion:b", "Other"))
}
PARTNERS = {"notion:a": {"gdrive:1a": 0.8}, "gdrive:1a": {"notion:a": 0.8}}


STATUS = {"notion:a": "fresh", "gdrive:1a": "overdue", "notion:b": "fresh"}


def ranked(*items: tuple[str, float]) -> list[Ranked]:
    return [
        Ranked(
            doc_id=d, chunk_ids=(), fused=0.0, relevance=0.9, weight=w, score=0.9 * w, on_topic=True, rank=i
        )
        for i, (d, w) in enumerate(items, start=1)
    ]


def test_the_copy_ranked_lower_is_folded_into_also_in() -> None:
    kept, also = fold(
        ranked(("notion:a", 1.0), ("notion:b", 1.0), ("gdrive:1a", 0.4)), PARTNERS, set(DOCS), DOCS, STATUS
    )
    assert [(r.doc_id, r.rank) for r in kept] == [("notion:a", 1), ("notion:b", 2)]
    [copy] = also["notion:a"]
    assert (copy.doc_id, copy.title, copy.source_label, copy.similarity) == (
        "gdrive:1a",
        "Checklist (Drive)",
        "Google Drive",
        0.8,
    )
    assert copy.url == "https://x/Checklist (Drive)"
    assert "notion:b" not in also


def test_the_most_current_copy_takes_the_place_of_a_stale_one_ranked_first() -> None:
    # The stale Drive copy matched best and even weighs more (an edit-based weight): the group
    # keeps its first place, shown as the fresh Notion page, with the Drive copy folded into it.
    items = ranked(("gdrive:1a", 0.9), ("notion:b", 1.0), ("notion:a", 0.8))
    kept, also = fold(items, PARTNERS, set(DOCS), DOCS, STATUS)
    assert [(r.doc_id, r.rank) for r in kept] == [("notion:a", 1), ("notion:b", 2)]
    assert [c.doc_id for c in also["notion:a"]] == ["gdrive:1a"]
    # With equal statuses, the weight, then the rank decides.
    same = dict.fromkeys(STATUS, "fresh")
    kept, _ = fold(ranked(("gdrive:1a", 0.9), ("notion:a", 0.8)), PARTNERS, set(DOCS), DOCS, same)
    assert [r.doc_id for r in kept] == ["gdrive:1a"]


def test_a_copy_the_reader_cannot_read_is_never_named() -> None:
    readable = {"notion:a", "notion:b"}
    kept, also = fold(ranked(("notion:a", 1.0), ("notion:b", 1.0)), PARTNERS, readable, DOCS, STATUS)
    assert [r.doc_id for r in kept] == ["notion:a", "notion:b"]
    assert also == {}


def test_a_copy_that_did_not_match_is_still_named() -> None:
    kept, also = fold(ranked(("notion:a", 1.0)), PARTNERS, set(DOCS), DOCS, STATUS)
    assert [r.doc_id for r in kept] == ["notion:a"]
    assert [c.doc_id for c in also["notion:a"]] == ["gdrive:1a"]


def test_without_pairs_nothing_changes() -> None:
    items = ranked(("notion:a", 1.0), ("gdrive:1a", 1.0))
    kept, also = fold(items, {}, set(DOCS), DOCS, STATUS)
    assert kept == items and also == {}
