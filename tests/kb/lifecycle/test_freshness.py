"""The freshness model by value: status, due date, overdue days, weight and reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kb.config import Settings, settings_from_dict
from kb.lifecycle.freshness import assess, decay_weight, successor_hint
from kb.lifecycle.successors import Relations, Successor, judge
from kb.records import Document, marker_excerpt

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def doc(**kw: Any) -> Document:
    return Document(doc_id="notion:" + "a" * 32, source="notion", title=kw.pop("title", "Page"), **kw)


def with_decay(decay: str) -> Settings:
    return settings_from_dict({"freshness": {"decay": decay}})


def reviewed_overdue_by(days: int) -> datetime:
    """A review date whose 180-day interval ended ``days`` ago."""
    return NOW - timedelta(days=180 + days)


@pytest.mark.parametrize(
    ("fields", "status", "weight", "overdue_days", "basis"),
    [
        ({"last_reviewed_at": datetime(2026, 10, 1, tzinfo=UTC)}, "fresh", 1.0, None, "review"),
        ({"last_reviewed_at": datetime(2026, 5, 30, tzinfo=UTC)}, "due_soon", 1.0, None, "review"),
        ({"last_reviewed_at": reviewed_overdue_by(180)}, "overdue", 0.75, 180, "review"),
        ({"last_reviewed_at": reviewed_overdue_by(360)}, "overdue", 0.625, 360, "review"),
        # An old edit is weak evidence: at most edit_penalty (0.15) off; a missed review at most 0.5.
        ({"last_edited_at": reviewed_overdue_by(90)}, "overdue", 0.956066, 90, "edit"),
        ({}, "unknown", 0.8, None, "none"),
        (
            {"status": "deprecated", "last_reviewed_at": datetime(2026, 10, 1, tzinfo=UTC)},
            "deprecated",
            0.2,
            None,
            "review",
        ),
        (
            {"status": "archived", "last_reviewed_at": datetime(2026, 10, 1, tzinfo=UTC)},
            "archived",
            0.1,
            None,
            "review",
        ),
        (
            {"superseded_by": "notion:" + "b" * 32, "last_reviewed_at": datetime(2026, 10, 1, tzinfo=UTC)},
            "superseded",
            0.15,
            None,
            "review",
        ),
        (
            {"superseded_by": "notion:" + "b" * 32, "last_reviewed_at": reviewed_overdue_by(180)},
            "superseded",
            0.1125,
            180,
            "review",
        ),
        # Superseded and long overdue: (1 - 0.5 * (1 - 0.5**(1000/180))) * 0.15.
        (
            {"superseded_by": "notion:" + "b" * 32, "last_reviewed_at": reviewed_overdue_by(1000)},
            "superseded",
            0.076595,
            1000,
            "review",
        ),
        ({"status": "deprecated"}, "deprecated", 0.16, None, "none"),
    ],
)
def test_assess_table(
    fields: dict[str, Any], status: str, weight: float, overdue_days: int | None, basis: str
) -> None:
    page = doc(**fields)
    successor = Document(doc_id="notion:" + "b" * 32, source="notion", title="Next")
    fr = judge(
        page, NOW, Settings(), relations=Relations.of([page, successor]), readable=lambda _: True
    ).freshness
    assert (fr.status, fr.weight, fr.overdue_days, fr.reviewed_basis) == (
        status,
        pytest.approx(weight, abs=1e-6),
        overdue_days,
        basis,
    )
    assert fr.reasons


def test_due_at_uses_the_documents_interval_and_counts_whole_days() -> None:
    fr = assess(
        doc(last_reviewed_at=datetime(2021, 3, 1, tzinfo=UTC), review_interval_days=365), NOW, Settings()
    )
    assert fr.due_at == datetime(2022, 3, 1, tzinfo=UTC)
    assert fr.overdue_days == 1725
    assert fr.basis_at == datetime(2021, 3, 1, tzinfo=UTC)
    assert "review was due 2022-03-01 (every 365 days): overdue by 1725 days" in fr.reasons


def test_due_soon_boundary_is_due_soon_days_before_due() -> None:
    just_outside = NOW + timedelta(days=15) - timedelta(days=180)
    just_inside = NOW + timedelta(days=13) - timedelta(days=180)
    assert assess(doc(last_reviewed_at=just_outside), NOW, Settings()).status == "fresh"
    assert assess(doc(last_reviewed_at=just_inside), NOW, Settings()).status == "due_soon"


@pytest.mark.parametrize(
    ("decay", "days", "weight"),
    [
        ("exponential", 0, 1.0),
        ("exponential", 180, 0.5),
        ("exponential", 360, 0.25),
        ("linear", 0, 1.0),
        ("linear", 180, 0.525),
        ("linear", 360, 0.05),
        ("linear", 720, 0.05),
        ("step", 1, 0.5),
        ("step", 180, 0.5),
        ("step", 181, 0.05),
    ],
)
def test_decay_shapes(decay: str, days: int, weight: float) -> None:
    settings = with_decay(decay)
    assert decay_weight(days, settings.freshness) == pytest.approx(weight)
    fr = assess(doc(last_reviewed_at=reviewed_overdue_by(days)), NOW, settings)
    # A missed review loses at most review_penalty (0.5) of the weight, along the decay shape.
    assert fr.weight == pytest.approx(1 - 0.5 * (1 - weight), abs=1e-6)


def test_weight_never_below_the_floor() -> None:
    settings = settings_from_dict({"freshness": {"floor": 0.1, "archived_weight": 0.0}})
    fr = assess(doc(status="archived", last_reviewed_at=reviewed_overdue_by(5000)), NOW, settings)
    assert fr.weight == 0.1
    assert any("floor" in r for r in fr.reasons)


def test_freshkb_review_counts_until_the_source_changes() -> None:
    kb_review = datetime(2026, 10, 1, tzinfo=UTC)
    old = datetime(2024, 1, 1, tzinfo=UTC)
    confirmed = assess(
        doc(last_reviewed_at=old, last_edited_at=datetime(2026, 9, 1, tzinfo=UTC)),
        NOW,
        Settings(),
        reviewed_at=kb_review,
    )
    assert (confirmed.status, confirmed.basis_at, confirmed.reviewed_basis) == ("fresh", kb_review, "review")

    # Edited after the FreshKB review: the review vouched for a version that no longer exists,
    # so the basis falls back to the source's own review date.
    edited = assess(
        doc(last_reviewed_at=old, last_edited_at=datetime(2026, 10, 15, tzinfo=UTC)),
        NOW,
        Settings(),
        reviewed_at=kb_review,
    )
    assert (edited.status, edited.basis_at) == ("overdue", old)
    assert any("no longer counts" in r for r in edited.reasons)

    # No source review date: the newer edit is the basis.
    edit_only = assess(
        doc(last_edited_at=datetime(2026, 10, 15, tzinfo=UTC)), NOW, Settings(), reviewed_at=kb_review
    )
    assert (edit_only.reviewed_basis, edit_only.basis_at) == ("edit", datetime(2026, 10, 15, tzinfo=UTC))

    # A newer source review wins over an older FreshKB review.
    newer = datetime(2026, 11, 1, tzinfo=UTC)
    assert assess(doc(last_reviewed_at=newer), NOW, Settings(), reviewed_at=kb_review).basis_at == newer


def test_freshkb_review_rescues_an_overdue_page() -> None:
    page = doc(last_reviewed_at=datetime(2023, 1, 1, tzinfo=UTC))
    assert assess(page, NOW, Settings()).status == "overdue"
    fr = assess(page, NOW, Settings(), reviewed_at=datetime(2026, 11, 19, tzinfo=UTC))
    assert (fr.status, fr.weight) == ("fresh", 1.0)


RECENT = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "status", "weight"),
    [
        ("> **This page is deprecated.** Use the new runbook.\n\nSteps...", "deprecated", 0.2),
        ("Note: NO LONGER USED since the move to Stripe.", "deprecated", 0.2),
        ("Superseded by [Billing Migration Q4 2026](billing.md)\n\nOld text", "superseded", 0.15),
        ("This doc was replaced by the new handbook.", "superseded", 0.15),
        ("This page may contain outdated information.\n\nBody", "overdue", 0.75),
        ("Body text\n" + "filler line\n" * 200 + "## Deprecated: kept for history\n", "deprecated", 0.2),
        ("Everything here is current.", "fresh", 1.0),
        # Banners are at the top: a phrase deep in the body is not one.
        ("Intro\n" + "filler text " * 200 + "this page is deprecated", "fresh", 1.0),
        # Whole words only: "outdated" inside another word is not a marker.
        ("How to detect unoutdatedness in caches.", "fresh", 1.0),
    ],
)
def test_in_text_markers(text: str, status: str, weight: float) -> None:
    fr = assess(doc(text=text, last_reviewed_at=RECENT), NOW, Settings())
    assert (fr.status, fr.weight) == (status, pytest.approx(weight))


def test_outdated_marker_keeps_a_worse_date_weight() -> None:
    fr = assess(
        doc(text="May contain outdated information", last_reviewed_at=reviewed_overdue_by(360)),
        NOW,
        Settings(),
    )
    assert (fr.status, fr.weight, fr.overdue_days) == ("overdue", 0.625, 360)


def test_marker_in_title_counts() -> None:
    fr = assess(doc(title="VPN guide (obsolete)", last_reviewed_at=RECENT), NOW, Settings())
    assert fr.status == "deprecated"


def test_external_successor_marks_superseded() -> None:
    nxt = Successor(doc_id="notion:" + "c" * 32, title="Deploys v2", basis="supersedes")
    fr = assess(doc(last_reviewed_at=RECENT), NOW, Settings(), successor=nxt)
    assert fr.status == "superseded"
    assert fr.reasons[0] == "superseded by 'Deploys v2'"


def test_an_inferred_successor_is_named_but_does_not_set_the_status() -> None:
    guess = Successor(
        doc_id="notion:" + "c" * 32, title="Deploys v2", basis="inferred", inferred=True, reason="newer"
    )
    fr = assess(doc(last_reviewed_at=RECENT), NOW, Settings(), successor=guess)
    assert fr.status == "fresh"
    assert fr.reasons[0] == "probably replaced by 'Deploys v2' (newer)"


def test_successor_hint_is_the_rest_of_the_marker_line() -> None:
    page = doc(text="Superseded by [Billing Migration Q4 2026](x.md).\nMore")
    assert successor_hint(page, Settings()) == "billing migration q4 2026](x.md)."
    assert successor_hint(doc(text="Nothing here"), Settings()) is None


def test_marker_excerpt_gives_the_same_assessment() -> None:
    text = "Intro\n" + "filler text " * 300 + "\n## This page is deprecated\nmore " * 3
    full, short = doc(text=text), doc(text=marker_excerpt(text))
    assert len(short.text) < len(text)
    assert assess(full, NOW, Settings()) == assess(short, NOW, Settings())


def test_naive_datetimes_are_taken_as_utc() -> None:
    fr = assess(doc(last_reviewed_at=datetime(2026, 10, 1)), NOW.replace(tzinfo=None), Settings())
    assert fr.status == "fresh"
    assert fr.due_at is not None and fr.due_at.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "status"),
    [
        # What real handbooks write at the top of a page that is gone or going.
        ("This page has now moved to [Creating a container repository](x.md).", "superseded"),
        ("# Operating systems\n\nThis guidance has been withdrawn. Use managed services.", "deprecated"),
        (
            "Intro paragraph first.\n\nNote that this page is no longer valid, and is due to be updated.",
            "deprecated",
        ),
        # Advice that uses the same words is not a banner.
        ("## Branching\n\n| Rule | Example |\n| --- | --- |\n| do not use `git push -f` | x |", "fresh"),
        (
            "# Languages\n\nGo and Python are used.\n\n## Languages we do not use for new projects\n\nScala.",
            "fresh",
        ),
        ("## Do not use `git push -f`, use `--force-with-lease` instead\n\nWhy.", "fresh"),
        (
            "# Causes\n\nSome causes of tech debt.\n\n- out of date dependencies\n- hardcoded configuration",
            "fresh",
        ),
        (
            "We remove access keys from our modules. These are being replaced by short-lived credentials.",
            "fresh",
        ),
        ("Content on this page should be replaced by a generic page later.", "fresh"),
    ],
)
def test_banners_are_what_a_page_says_about_itself(text: str, status: str) -> None:
    fr = assess(doc(text=text, last_reviewed_at=RECENT), NOW, Settings())
    assert fr.status == status


def test_a_banner_names_the_page_it_moved_to() -> None:
    page = doc(text="This page has now moved to [Creating a container repository](x.md).")
    assert successor_hint(page, Settings()) == "[creating a container repository](x.md)."


def test_current_until_a_date_is_an_expiry() -> None:
    page = doc(text="# Logging\n\nThis page is current until 1 September 2017.", last_reviewed_at=RECENT)
    fr = assess(page, NOW, Settings())
    assert fr.status == "overdue"
    assert fr.due_at == datetime(2017, 9, 1, tzinfo=UTC)
    assert fr.overdue_days == (NOW - datetime(2017, 9, 1, tzinfo=UTC)).days
    assert any("current until 1 september 2017" in r for r in fr.reasons)
    # A missed review, bounded like one: never below 1 - review_penalty.
    assert fr.weight == pytest.approx(0.5, abs=0.01)
    # Not yet expired: the page's own dates decide.
    later = doc(text="This page is current until 1 March 2027.", last_reviewed_at=RECENT)
    assert assess(later, NOW, Settings()).status == "fresh"
