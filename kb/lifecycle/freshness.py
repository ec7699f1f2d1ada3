"""The freshness model: how current a document is as of ``now``, and the weight ranking gives it.

Pure: a ``Document``, an instant and the settings in, a ``Freshness`` out. Used by retrieval
(the ranking prior and the warnings), the alerts (what is due or overdue) and the API.

Order of evidence, strongest first:

1. lifecycle metadata: a successor (``superseded_by``, or a readable document that lists this one
   in its ``supersedes``), ``status`` archived / deprecated;
2. banners: what the page says about itself in its title, opening or headings ("this page is
   deprecated", "superseded by", "may contain outdated information", "current until <date>";
   ``kb.lifecycle.banners``);
3. dates: the review basis plus the review interval gives the due date.

The weight is 1.0 while a review is not yet due and decays past the due date; lifecycle states
multiply it down; it never drops below ``freshness.floor`` so a document that is the only source
on a topic still surfaces (flagged) instead of vanishing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from kb.clock import utc
from kb.config import FreshnessSettings, Settings
from kb.lifecycle.banners import expiry, find_banner
from kb.records import ARCHIVED, DEPRECATED, Document


class Successor(Protocol):
    """What assess reads of a successor (``kb.lifecycle.successors.Successor`` has it)."""

    @property
    def title(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def inferred(self) -> bool: ...
    @property
    def reason(self) -> str: ...


Status = Literal["fresh", "due_soon", "overdue", "unknown", "deprecated", "archived", "superseded"]
# Statuses that come from the document's lifecycle rather than from its dates.
LIFECYCLE = frozenset({"deprecated", "archived", "superseded"})
# How much of the text is searched for markers: banners sit at the top of a page.


class Freshness(BaseModel):
    status: Status
    weight: float = Field(description="ranking prior in [floor, 1]")
    due_at: datetime | None = Field(None, description="when the next review is (was) due")
    overdue_days: int | None = Field(None, description="whole days past due_at, when overdue")
    reviewed_basis: Literal["review", "edit", "none"] = Field(
        description="what the due date counts from: a review (source or FreshKB), the last "
        "edit (no review date known), or nothing"
    )
    basis_at: datetime | None = Field(None, description="the instant the due date counts from")
    reasons: list[str] = Field(default_factory=list, description="why, in plain words")


def _day(dt: datetime) -> str:
    return dt.date().isoformat()


def _basis(
    doc: Document, reviewed_at: datetime | None, reasons: list[str]
) -> tuple[Literal["review", "edit", "none"], datetime | None]:
    """The instant the review clock counts from, and whether it is a review or an edit."""
    source_review = utc(doc.last_reviewed_at) if doc.last_reviewed_at else None
    edited = utc(doc.last_edited_at) if doc.last_edited_at else None
    if reviewed_at is not None:
        kb_review = utc(reviewed_at)
        newer = [d for d in (edited, source_review) if d is not None and d > kb_review]
        if not newer:
            reasons.append(f"confirmed accurate through FreshKB on {_day(kb_review)}")
            return "review", kb_review
        # The FreshKB review vouched for the content as of kb_review; the source changed (or was
        # reviewed) since, so that vouching is about a version that no longer exists.
        reasons.append(
            f"FreshKB review of {_day(kb_review)} no longer counts: the source changed on {_day(max(newer))}"
        )
    if source_review is not None:
        reasons.append(f"last reviewed {_day(source_review)}")
        return "review", source_review
    if edited is not None:
        reasons.append(f"no review date; last edited {_day(edited)}")
        return "edit", edited
    return "none", None


def decay_weight(overdue_days: float, fs: FreshnessSettings) -> float:
    """Weight past the due date (before the floor): 1.0 at the due date, falling with age.

    exponential: halves every ``half_life_days``; linear: reaches the floor at
    ``2 * half_life_days`` (so it is about half way at ``half_life_days``, like exponential);
    step: 0.5 for the first ``half_life_days`` overdue, then the floor.
    """
    days = max(0.0, overdue_days)
    hl = fs.half_life_days
    if fs.decay == "exponential":
        return float(0.5 ** (days / hl))
    if fs.decay == "linear":
        return 1.0 - (1.0 - fs.floor) * min(1.0, days / (2 * hl))
    return 0.5 if days <= hl else fs.floor


def successor_hint(doc: Document, settings: Settings) -> str | None:
    """The rest of the line after a "superseded by" / "has moved to" banner: names the successor,
    if anyone wrote it down (``kb.lifecycle.successors`` resolves it against the titles of the
    documents this one links to)."""
    banner = find_banner(doc, settings.freshness)
    if banner is None or banner.kind != "superseded":
        return None
    return banner.rest.removeprefix("to ").strip() or None


def overdue_weight(
    basis: Literal["review", "edit", "none"], overdue_days: float, settings: Settings
) -> float:
    """Weight of a document ``overdue_days`` past its due date: evidence, bounded by its kind.

    A missed review (someone set a review date and interval, and it ran out) loses at most
    ``review_penalty``; an old edit date with no review information at most ``edit_penalty``
    (most pages of a real handbook are old and still right: measured in docs/ranking.md). The
    decay shape says how fast the penalty grows with lateness."""
    fs = settings.freshness
    most = fs.review_penalty if basis == "review" else fs.edit_penalty
    return 1.0 - most * (1.0 - decay_weight(overdue_days, fs))


def _date_status(
    basis: Literal["review", "edit", "none"],
    basis_at: datetime | None,
    interval: int,
    now: datetime,
    settings: Settings,
    reasons: list[str],
) -> tuple[Status, datetime | None, int | None, float]:
    if basis_at is None:
        reasons.append("no review or edit date")
        return "unknown", None, None, settings.freshness.unknown_weight
    due_at = basis_at + timedelta(days=interval)
    if now > due_at:
        overdue = (now - due_at).days
        reasons.append(f"review was due {_day(due_at)} (every {interval} days): overdue by {overdue} days")
        return (
            "overdue",
            due_at,
            overdue,
            overdue_weight(basis, (now - due_at).total_seconds() / 86400, settings),
        )
    if now >= due_at - timedelta(days=settings.review.due_soon_days):
        reasons.append(f"review due {_day(due_at)} (every {interval} days)")
        return "due_soon", due_at, None, 1.0
    reasons.append(f"next review due {_day(due_at)} (every {interval} days)")
    return "fresh", due_at, None, 1.0


def assess(
    doc: Document,
    now: datetime,
    settings: Settings,
    *,
    reviewed_at: datetime | None = None,
    successor: Successor | None = None,
) -> Freshness:
    """How current ``doc`` is as of ``now``.

    ``reviewed_at``: the latest review recorded through FreshKB. ``successor``: the document that
    replaces this one *for the reader at hand* (``kb.lifecycle.successors.judge`` decides it;
    ``doc.superseded_by`` is not read here, since the reader may not be allowed to see it). A
    stated successor makes the document superseded; an inferred one is named in the reasons and
    leaves the status to the other evidence (ranking orders the pair).
    """
    now = utc(now)
    fs = settings.freshness
    reasons: list[str] = []
    basis, basis_at = _basis(doc, reviewed_at, reasons)
    interval = doc.review_interval_days or settings.review.default_interval_days
    status, due_at, overdue_days, weight = _date_status(basis, basis_at, interval, now, settings, reasons)

    until = expiry(doc)
    if until is not None and now > utc(until[0]) and (due_at is None or utc(until[0]) < due_at):
        # A stated expiry is a review date the page set for itself, and it has passed.
        due_at = utc(until[0])
        overdue_days = (now - due_at).days
        reasons.append(f"the text says '{until[1]}': expired {overdue_days} days ago")
        status = "overdue"
        weight = min(weight, overdue_weight("review", (now - due_at).total_seconds() / 86400, settings))
    banner = find_banner(doc, fs)
    if banner is not None and banner.kind == "outdated" and status != "overdue":
        # The author says the page may be stale: at least overdue, weighted as if half a
        # half-life past due, whatever the dates say.
        reasons.append(f"the text says '{banner.phrase}'")
        status, weight = "overdue", min(weight, overdue_weight("review", fs.half_life_days, settings))

    lifecycle: Status | None = None
    if successor is not None and not successor.inferred:
        lifecycle = "superseded"
        confirmed = " (confirmed by its owner)" if successor.basis == "owner" else ""
        reasons.insert(0, f"superseded by '{successor.title}'{confirmed}")
    elif doc.status.lower() == ARCHIVED:
        lifecycle = "archived"
        reasons.insert(0, "status is archived")
    elif doc.status.lower() == DEPRECATED:
        lifecycle = "deprecated"
        reasons.insert(0, "status is deprecated")
    elif banner is not None and banner.kind != "outdated":
        lifecycle = banner.kind
        reasons.insert(0, f"the text says '{banner.phrase}'")
    if successor is not None and successor.inferred:
        reasons.insert(0, f"probably replaced by '{successor.title}' ({successor.reason})")
    if lifecycle is not None:
        status = lifecycle
        weight *= {
            "superseded": fs.superseded_weight,
            "archived": fs.archived_weight,
            "deprecated": fs.deprecated_weight,
        }[lifecycle]

    if weight < fs.floor:
        reasons.append(f"weight held at the floor {fs.floor:g}: an only source must still surface")
    weight = max(fs.floor, min(1.0, weight))
    return Freshness(
        status=status,
        weight=round(weight, 6),
        due_at=due_at,
        overdue_days=overdue_days,
        reviewed_basis=basis,
        basis_at=basis_at,
        reasons=reasons,
    )
