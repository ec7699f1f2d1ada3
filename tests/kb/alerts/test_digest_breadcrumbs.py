"""Issue 11: a digest names no page its reader may not read, breadcrumbs included. Alice owns a
readable page under a restricted parent (HR's) and one under a readable parent; her digest (and
its escalation to the fallback owner) shows the first parent as a placeholder, the second by name."""

from __future__ import annotations

from datetime import timedelta

from kb.lifecycle.breadcrumbs import RESTRICTED
from kb.records import Document
from kb.runtime import Runtime
from tests.conftest import EXAMPLE_NOW


def _page(doc_id: str, title: str, owner: str, acl: list[str], path: list[str], days: int) -> Document:
    reviewed = EXAMPLE_NOW - timedelta(days=days)
    return Document(
        doc_id=doc_id,
        source="notion",
        title=title,
        path=path,
        owner=owner,
        acl=acl,
        last_reviewed_at=reviewed,
        last_edited_at=reviewed,
        review_interval_days=90,
        text=f"{title} body.",
    )


def test_a_restricted_parent_is_no_title_in_the_digest(company: Runtime) -> None:
    for doc in (
        _page("hr-bands", "Okapi salary bands", "bob@acme.test", ["group:hr@acme.test"], ["Acme"], 10),
        _page("a-faq", "Salary FAQ", "alice@acme.test", ["everyone"], ["Acme", "Okapi salary bands"], 400),
        _page("handbook", "Handbook", "bob@acme.test", ["everyone"], ["Acme"], 10),
        _page("a-leave", "Leave policy", "alice@acme.test", ["everyone"], ["Acme", "Handbook"], 100),
    ):
        company.documents.upsert(doc)
    report = company.alert_runner().run(dry_run=True)
    bodies = {d.recipient: d.body or "" for d in report.deliveries}
    alice, admin = bodies["alice@acme.test"], bodies["kb-admins@acme.test"]
    assert f"Acme / {RESTRICTED} / Salary FAQ" in alice and "Acme / Handbook / Leave policy" in alice
    assert f"Acme / {RESTRICTED} / Salary FAQ" in admin  # overdue long enough to be escalated
    for body in bodies.values():
        assert "okapi" not in body.casefold()
