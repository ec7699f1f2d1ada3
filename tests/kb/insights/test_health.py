"""Knowledge health figures (kb.insights.health) and their daily snapshots in SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from kb.config import settings_from_dict
from kb.identity import People
from kb.insights.health import ALL, Ownership, by_status, health, space_of
from kb.lifecycle.freshness import Freshness
from kb.records import Document
from kb.store.db import Database
from kb.store.health_snapshots import HealthSnapshots, SnapshotRow

TEAMS = {"platform": ["alice@acme.test", "platform-team@acme.test"]}


def doc(doc_id: str, owner: str | None, path: list[str], source: str = "notion") -> Document:
    return Document(doc_id=doc_id, source=source, title=doc_id, owner=owner, path=path)  # type: ignore[arg-type]


def fr(status: str) -> Freshness:
    return Freshness(status=status, weight=1.0, reviewed_basis="none")  # type: ignore[arg-type]


DOCS = [
    doc("a", "alice@acme.test", ["Wiki"]),
    doc("b", "platform-team@acme.test", ["Wiki", "Runbooks"]),
    doc("c", "marcus@acme.test", ["Billing"]),
    doc("d", None, ["Billing"]),
    doc("e", "alice@acme.test", [], source="gdrive"),
]
FRESH = {"a": fr("fresh"), "b": fr("due_soon"), "c": fr("overdue"), "d": fr("overdue"), "e": fr("deprecated")}


def owners() -> Ownership:
    people = People(
        settings_from_dict(
            {
                "people": [
                    {"name": "Alice", "email": "alice@acme.test"},
                    {"name": "Marcus", "email": "marcus@acme.test", "active": False},
                ]
            }
        ).people
    )
    return Ownership(teams=TEAMS, left=lambda o: people.is_known(o) and not people.is_active(o))


def test_health_counts_by_space_team_and_owner() -> None:
    rows = {(r.dimension, r.key): r for r in health(DOCS, FRESH, owners())}
    overall = rows[(ALL, ALL)]
    assert (overall.documents, overall.fresh, overall.due_soon, overall.overdue) == (5, 1, 1, 2)
    assert (overall.unowned, overall.owner_left) == (1, 1)
    assert overall.share_overdue == 0.4 and overall.share_fresh == 0.2
    billing = rows[("space", "Notion / Billing")]
    assert (billing.documents, billing.overdue, billing.unowned, billing.owner_left) == (2, 2, 1, 1)
    assert rows[("space", "Google Drive / e")].documents == 1  # a top-level page is its own space
    assert rows[("team", "platform")].documents == 3
    assert rows[("team", "(no team)")].documents == 2
    assert rows[("owner", "(no owner)")].unowned == 1
    assert [r.dimension for r in health(DOCS, FRESH, owners())][:1] == [ALL]


def test_space_and_status_counts() -> None:
    assert space_of(doc("x", None, ["Eng", "Sub"])) == "Notion / Eng"
    assert by_status(FRESH) == {"deprecated": 1, "due_soon": 1, "fresh": 1, "overdue": 2}
    assert health([], {}, owners()) == []


def test_snapshots_keep_one_per_day_and_a_series(tmp_path: Path) -> None:
    snaps = HealthSnapshots(Database(tmp_path / "kb.sqlite"))
    rows = health(DOCS, FRESH, owners())

    def record(day: date) -> None:
        snaps.record(day, [SnapshotRow(day=day, **r.model_dump()) for r in rows])

    record(date(2026, 11, 1))
    record(date(2026, 11, 2))
    record(date(2026, 11, 2))  # the same day again replaces it
    series = snaps.series()
    assert [(s.day, s.documents, s.overdue) for s in series] == [
        (date(2026, 11, 1), 5, 2),
        (date(2026, 11, 2), 5, 2),
    ]
    assert [s.day for s in snaps.series(since=date(2026, 11, 2))] == [date(2026, 11, 2)]
    assert snaps.series("space", "Notion / Billing")[0].unowned == 1
    assert datetime(2026, 11, 2, tzinfo=UTC).date() == series[-1].day
