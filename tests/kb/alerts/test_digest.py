"""Digests are pure: documents + freshness + usage + reviews + secrets in, one digest per recipient out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kb.alerts.digest import Digest, DigestBatch, build_digests, owner_problem
from kb.alerts.render import render
from kb.identity import People
from kb.lifecycle.freshness import assess
from kb.lifecycle.rules import fallback_owner_for
from kb.redaction import SecretFinding
from kb.store.reviews import Review
from tests.conftest import EXAMPLE_NOW
from tests.kb.alerts.conftest import FALLBACK, USAGE, company_docs, company_settings


def build(tmp_path: Path, **kw: object) -> DigestBatch:
    settings = company_settings(tmp_path)
    docs = company_docs()
    reviewed = kw.pop("reviewed", {})
    fresh = {
        d.doc_id: assess(d, EXAMPLE_NOW, settings, reviewed_at=reviewed.get(d.doc_id))  # type: ignore[attr-defined]
        for d in docs
    }
    return build_digests(
        docs,
        fresh,
        now=EXAMPLE_NOW,
        settings=settings,
        people=People(settings.people),
        usage=USAGE,
        secrets={"a-fresh": [SecretFinding(kind="aws-access-key", line=3, preview="AKIA…")]},
        link_for=lambda doc_id, who: f"https://kb.acme.test/r/{doc_id}/{who}",
        fallback_for=lambda d: fallback_owner_for(d, settings),
        **kw,
    )  # type: ignore[arg-type]


def by_recipient(batch: DigestBatch) -> dict[str, Digest]:
    return {d.recipient: d for d in batch.digests}


def test_each_owner_gets_their_overdue_and_due_soon_docs_most_used_then_most_overdue(tmp_path: Path) -> None:
    digests = by_recipient(build(tmp_path))
    assert list(digests) == ["alice@acme.test", "data-team", FALLBACK, "sre-team", "zed@acme.test"]
    alice = digests["alice@acme.test"]
    # a-vpn and a-runbook were both used 5 times: the more overdue one comes first.
    assert [(i.doc_id, i.status, i.overdue_days, i.due_in_days, i.usage) for i in alice.items] == [
        ("a-vpn", "overdue", 202, None, 5),
        ("a-runbook", "overdue", 23, None, 5),
        ("a-oncall", "due_soon", None, 6, 0),
    ]
    assert alice.escalations == []
    assert alice.recipient_name == "Alice Adams"
    assert alice.items[0].review_url == "https://kb.acme.test/r/a-vpn/alice@acme.test"
    assert alice.items[0].last_reviewer == "editor@acme.test"
    assert [(s.doc_id, s.kind, s.line) for s in alice.secrets] == [("a-fresh", "aws-access-key", 3)]
    assert [i.doc_id for i in digests["sre-team"].items] == ["s-incident"]
    assert [(i.doc_id, i.due_in_days) for i in digests["data-team"].items] == [("d-schema", 3)]
    assert [i.doc_id for i in digests["zed@acme.test"].items] == ["z-unknown"]


def test_deprecated_and_fresh_documents_are_not_alerted(tmp_path: Path) -> None:
    alerted = {i.doc_id for d in build(tmp_path).digests for i in d.all_items}
    assert "b-old-api" not in alerted
    assert "a-fresh" not in alerted
    assert "bob@acme.test" not in by_recipient(build(tmp_path))


def test_escalations_go_to_the_fallback_owner_with_the_reason(tmp_path: Path) -> None:
    fallback = by_recipient(build(tmp_path))[FALLBACK]
    assert fallback.items == []
    reasons = {i.doc_id: i.escalation for i in fallback.escalations}
    assert reasons == {
        "a-vpn": "overdue 202 days (escalates after 90)",
        "c-payroll": "owner carol@acme.test has left",
        "n-orphan": "document has no owner",
        "z-unknown": "owner zed@acme.test is not in the people table",
    }
    # ordered by usage (a-vpn 5, c-payroll 2), then lateness (n-orphan 10 > z-unknown 5)
    assert [i.doc_id for i in fallback.escalations] == ["a-vpn", "c-payroll", "n-orphan", "z-unknown"]
    assert fallback.escalations[0].review_url == f"https://kb.acme.test/r/a-vpn/{FALLBACK}"
    assert "carol@acme.test" not in by_recipient(build(tmp_path))


def test_without_a_fallback_owner_ownerless_docs_are_unassigned(tmp_path: Path) -> None:
    settings = company_settings(tmp_path, fallback_owner="")
    docs = company_docs()
    fresh = {d.doc_id: assess(d, EXAMPLE_NOW, settings) for d in docs}
    batch = build_digests(docs, fresh, now=EXAMPLE_NOW, settings=settings, people=People(settings.people))
    assert sorted(i.doc_id for i in batch.unassigned) == ["c-payroll", "n-orphan"]
    # the owner still gets what is only "also" escalated
    assert "a-vpn" in [i.doc_id for i in by_recipient(batch)["alice@acme.test"].items]


def test_team_routed_explicitly_is_a_valid_owner(tmp_path: Path) -> None:
    settings = company_settings(tmp_path)
    people = People(settings.people)
    assert owner_problem("sre-team", people, settings) is None
    assert owner_problem("alice@acme.test", people, settings) is None
    assert owner_problem("carol@acme.test", people, settings) == ("owner carol@acme.test has left", True)
    assert owner_problem("zed@acme.test", people, settings) == (
        "owner zed@acme.test is not in the people table",
        False,
    )
    assert owner_problem(None, people, settings) == ("document has no owner", True)


def test_a_freshkb_review_takes_the_doc_out_and_names_the_reviewer(tmp_path: Path) -> None:
    batch = build(tmp_path, reviewed={"a-runbook": EXAMPLE_NOW - timedelta(days=1)})
    alice = by_recipient(batch)["alice@acme.test"]
    assert "a-runbook" not in [i.doc_id for i in alice.items]
    settings = company_settings(tmp_path)
    docs = company_docs()
    fresh = {d.doc_id: assess(d, EXAMPLE_NOW, settings) for d in docs}
    review = Review(doc_id="a-vpn", reviewer="bob@acme.test", reviewed_at=EXAMPLE_NOW - timedelta(days=400))
    batch = build_digests(
        docs,
        fresh,
        now=EXAMPLE_NOW,
        settings=settings,
        people=People(settings.people),
        reviews={"a-vpn": review},
    )
    # the source edit (292 days ago) is newer than the FreshKB review: the editor is named
    assert by_recipient(batch)["alice@acme.test"].items[0].last_reviewer == "editor@acme.test"
    review = review.model_copy(update={"reviewed_at": EXAMPLE_NOW - timedelta(days=200)})
    batch = build_digests(
        docs,
        fresh,
        now=EXAMPLE_NOW,
        settings=settings,
        people=People(settings.people),
        reviews={"a-vpn": review},
    )
    item = by_recipient(batch)["alice@acme.test"].items[0]
    assert (item.last_reviewer, item.last_reviewer_at) == ("bob@acme.test", review.reviewed_at)


def test_render_text_html_and_slack(tmp_path: Path) -> None:
    digest = by_recipient(build(tmp_path))["alice@acme.test"]
    msg = render(digest)
    assert msg.subject == "FreshKB: 3 documents to review, 1 secret found"
    assert msg.text.startswith("Hello Alice Adams,\n")
    assert (
        "1. VPN setup [overdue by 202 days]\n   Acme / VPN setup\n   https://notion.test/a-vpn\n" in msg.text
    )
    assert "3. On-call guide [due in 6 days]" in msg.text
    assert "Confirm in one click: https://kb.acme.test/r/a-vpn/alice@acme.test" in msg.text
    assert "- Fresh notes (line 3): aws-access-key AKIA…" in msg.text
    assert '<a href="https://notion.test/a-vpn">VPN setup</a>' in msg.html
    assert msg.html.count("<li>") == 4
    blocks = msg.slack["blocks"]
    assert blocks[1]["text"]["type"] == "mrkdwn"
    assert blocks[1]["text"]["text"].startswith(
        "*<https://notion.test/a-vpn|VPN setup>* — overdue by 202 days"
    )
    assert msg.json_payload["recipient"] == "alice@acme.test"


def test_html_escapes_titles(tmp_path: Path) -> None:
    digest = by_recipient(build(tmp_path))["alice@acme.test"]
    digest.items[0].title = "<script>x</script>"
    html = render(digest).html
    assert "<script>" not in html and "&lt;script&gt;" in html


def _visible_text(html: str) -> str:
    """The words of an HTML body: tags dropped, entities decoded, whitespace collapsed."""
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_text_and_html_email_say_the_same(tmp_path: Path) -> None:
    """Both bodies come from one item template: every line of the text email, less its
    numbering and bullets, is in the HTML email, links included (a digest without review links
    too: the HTML used to drop the ``kb review`` command)."""
    for linked in (True, False):
        digest = by_recipient(build(tmp_path))["alice@acme.test"]
        if not linked:
            digest = digest.model_copy(
                update={"items": [i.model_copy(update={"review_url": None}) for i in digest.items]}
            )
        msg = render(digest)
        words = _visible_text(msg.html)
        for line in msg.text.splitlines():
            line = line.strip()
            if not line or line == "-- FreshKB":
                continue
            line = line.split(". ", 1)[1] if line[0].isdigit() else line.removeprefix("- ")
            if line.endswith("]") and " [" in line:  # "Title [status]" is "Title — status" in HTML
                title, status = line[:-1].split(" [", 1)
                assert f"{title} — {status}" in words, line
                continue
            if line.startswith("http"):
                assert f'href="{line}"' in msg.html, line
                continue
            text, _, url = line.partition(": https://")
            assert text in words, line
            if url:
                assert f'href="https://{url}"' in msg.html, line
        assert ("kb review a-vpn --as <you>" in words) is not linked
