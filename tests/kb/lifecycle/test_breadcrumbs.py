"""``Breadcrumbs``: which parent titles a reader may see in a document's breadcrumb."""

from __future__ import annotations

from kb.lifecycle.breadcrumbs import RESTRICTED, Breadcrumbs
from kb.records import Document


def _doc(doc_id: str, title: str, path: list[str], source: str = "notion") -> Document:
    return Document(doc_id=doc_id, source=source, title=title, path=path)  # type: ignore[arg-type]


HR = _doc("notion:hr", "HR", ["Acme"])
BANDS = _doc("notion:bands", "Salary bands", ["Acme", "HR"])
FAQ = _doc("notion:faq", "FAQ", ["Acme", "HR", "Salary bands"])
DOCS = [HR, BANDS, FAQ]


def test_only_unreadable_parents_become_placeholders() -> None:
    crumbs = Breadcrumbs.of(DOCS)
    assert crumbs.visible(FAQ, {"notion:faq", "notion:hr"}.__contains__) == ["Acme", "HR", RESTRICTED]
    assert crumbs.visible(FAQ, {"notion:faq"}.__contains__) == ["Acme", RESTRICTED, RESTRICTED]
    assert crumbs.visible(FAQ, lambda _: True) == FAQ.path
    assert crumbs.view(FAQ, lambda _: True) is FAQ


def test_a_parent_that_is_no_stored_document_keeps_its_title() -> None:
    """'Acme' (a workspace, a Drive folder, a database) has no ACL here: nothing to hide."""
    assert Breadcrumbs.of(DOCS).visible(HR, lambda _: False) == ["Acme"]


def test_a_title_the_reader_sees_elsewhere_at_that_place_is_kept() -> None:
    """Two pages with one title under one parent: reading either shows the title."""
    twin = _doc("notion:hr2", "HR", ["Acme"])
    crumbs = Breadcrumbs.of([*DOCS, twin])
    assert crumbs.visible(BANDS, {"notion:hr2"}.__contains__) == ["Acme", "HR"]
    assert crumbs.visible(BANDS, set().__contains__) == ["Acme", RESTRICTED]


def test_places_are_per_source() -> None:
    drive = _doc("gdrive:x", "Doc", ["Acme", "HR"], source="gdrive")
    assert Breadcrumbs.of(DOCS).visible(drive, set().__contains__) == ["Acme", "HR"]
