"""The owner's view is pure: documents, their judgement as the owner sees it, usage, reviews,
secrets, near-duplicate pairs and feedback in; one owner's sections out, most urgent first, with
nothing the caller may not read and nothing about other people's documents."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from kb.alerts.digest import item_for
from kb.alerts.owner_view import OwnerView, build_owner_view, owned_by
from kb.clock import FixedClock
from kb.config import Settings
from kb.lifecycle.freshness import assess
from kb.lifecycle.successors import Judged, Successor
from kb.records import Document, Principal
from kb.redaction import SecretFinding
from kb.runtime import Runtime
from kb.store.feedback import Feedback
from tests.conftest import EXAMPLE_NOW, place_store
from tests.kb.alerts.conftest import company_settings, fill_store

NOW = EXAMPLE_NOW
ALICE = Principal(user="alice@acme.test", groups=frozenset({"eng@acme.test"}))
BOB = Principal(user="bob@acme.test")
HR_ONLY = ["group:hr@acme.test"]


def _doc(doc_id: str, owner: str | None, reviewed_days_ago: int | None, **kw: object) -> Document:
    reviewed = NOW - timedelta(days=reviewed_days_ago) if reviewed_days_ago is not None else None
    fields: dict[str, object] = {
        "source": "notion",
        "title": f"Title {doc_id}",
        "text": "Some text.",
        "acl": ["everyone"],
        "owner": owner,
        "last_reviewed_at": reviewed,
        "review_interval_days": 90,
        "url": f"https://kb.test/{doc_id}",
    }
    fields.update(kw)
    return Document(doc_id=doc_id, **fields)  # type: ignore[arg-type]


DOCS = [
    _doc("fresh", "alice@acme.test", 10),
    _doc("late-a-bit", " Alice@ACME.test ", 100),  # the owner as an export may spell it
    _doc("late-a-lot", "alice@acme.test", 300),
    _doc("soon", "alice@acme.test", 80),
    _doc("no-date", "alice@acme.test", None),
    _doc("old", "alice@acme.test", 10, status="deprecated"),
    _doc("hidden-own", "alice@acme.test", 300, acl=HR_ONLY),  # hers, but she may not read it
    _doc("bobs", "bob@acme.test", 300, title="Bob's overdue page"),
    _doc("newer", "bob@acme.test", 1, title="Newer runbook"),
    _doc("secret-newer", "hr@acme.test", 1, acl=HR_ONLY, title="Zephyr HR page"),
    _doc("copy", "bob@acme.test", 10, source="gdrive", title="Drive copy"),
    _doc("hidden-copy", "hr@acme.test", 10, source="gdrive", acl=HR_ONLY, title="Quokka HR copy"),
]
HIDDEN = ("secret-newer", "Zephyr", "hidden-copy", "Quokka", "hidden-own", "bobs", "Bob's")


def _inferred(doc_id: str) -> Successor:
    doc = next(d for d in DOCS if d.doc_id == doc_id)
    return Successor(
        doc_id=doc.doc_id,
        title=doc.title,
        url=doc.url,
        basis="inferred",
        inferred=True,
        confidence=0.8,
        reason="same title, edited later",
    )


def _judged(settings: Settings) -> dict[str, Judged]:
    out = {d.doc_id: Judged(freshness=assess(d, NOW, settings)) for d in DOCS}
    # judged as the owner's configured principal: one successor she may read, one she may not
    out["late-a-lot"] = out["late-a-lot"].model_copy(update={"successor": _inferred("newer")})
    out["late-a-bit"] = out["late-a-bit"].model_copy(update={"successor": _inferred("secret-newer")})
    return out


def _view(caller: Principal = ALICE, **kw: object) -> OwnerView:
    settings = Settings()
    args: dict[str, object] = {
        "usage": {"late-a-bit": 4},
        "secrets": {
            "fresh": [
                SecretFinding(kind="aws-access-key", line=3, preview="AKIA…XYZ"),
                SecretFinding(kind="aws-access-key", line=9, preview="AKIA…ABC"),
                SecretFinding(kind="password-assignment", line=12, preview="pass…"),
            ],
            "bobs": [SecretFinding(kind="private-key", line=1, preview="-----BEGIN…")],
        },
        "partners": {
            "fresh": {"copy": 0.7, "hidden-copy": 0.9},
            "copy": {"fresh": 0.7},
            "hidden-copy": {"fresh": 0.9},
        },
        "feedback": [
            Feedback(
                at=NOW - timedelta(days=2),
                user="carol@acme.test",
                question="How do I rotate keys?",
                answer="Answer quoting the Zephyr HR page",
                doc_ids=["secret-newer", "late-a-lot"],
                rating="down",
                comment="outdated",
            ),
            Feedback(
                at=NOW - timedelta(days=1),
                user="dan@acme.test",
                question="Thumbs up question",
                answer="fine",
                doc_ids=["late-a-lot"],
                rating="up",
            ),
            Feedback(
                at=NOW - timedelta(days=1),
                user="dan@acme.test",
                question="Bob's page question",
                answer="x",
                doc_ids=["bobs"],
                rating="down",
            ),
            Feedback(
                at=NOW,
                user="erin@acme.test",
                question="Newest question",
                answer="y",
                doc_ids=["soon"],
                rating="down",
            ),
        ],
    }
    args.update(kw)
    return build_owner_view(caller, DOCS, _judged(settings), now=NOW, **args)  # type: ignore[arg-type]


def test_only_the_callers_own_readable_documents_most_urgent_first() -> None:
    view = _view()
    assert [d.doc_id for d in owned_by(ALICE, DOCS)] == [
        "fresh",
        "late-a-bit",
        "late-a-lot",
        "soon",
        "no-date",
        "old",
    ]
    assert [(d.doc_id, d.status) for d in view.documents] == [
        ("late-a-lot", "overdue"),
        ("late-a-bit", "overdue"),
        ("soon", "due_soon"),
        ("no-date", "unknown"),
        ("fresh", "fresh"),
        ("old", "deprecated"),
    ]
    # the digest's order inside a section: most used first, then most overdue
    assert [i.doc_id for i in view.overdue] == ["late-a-bit", "late-a-lot"]
    assert [(i.doc_id, i.due_in_days) for i in view.due_soon] == [("soon", 10)]
    assert view.user == "alice@acme.test" and view.generated_at == NOW


def test_items_are_the_digests_items() -> None:
    settings = Settings()
    view = _view()
    doc = next(d for d in DOCS if d.doc_id == "late-a-bit")
    expected = item_for(doc, assess(doc, NOW, settings), NOW, 4, None)
    assert view.overdue[0].model_dump(exclude={"successor"}) == expected.model_dump(exclude={"successor"})


def test_successors_to_confirm_only_when_the_caller_may_read_the_successor() -> None:
    view = _view()
    assert [(q.doc_id, q.successor_id, q.reason) for q in view.successors] == [
        ("late-a-lot", "newer", "same title, edited later")
    ]
    late = {d.doc_id: d for d in view.documents}
    assert late["late-a-lot"].successor is not None and late["late-a-lot"].successor.inferred
    assert late["late-a-bit"].successor is None  # the successor she cannot read does not exist for her
    assert next(i for i in view.overdue if i.doc_id == "late-a-bit").successor is None


def test_copies_secrets_and_feedback_name_nothing_unreadable() -> None:
    view = _view()
    [dup] = view.near_duplicates
    assert (dup.doc_id, [(c.doc_id, c.source_label) for c in dup.copies]) == (
        "fresh",
        [("copy", "Google Drive")],
    )
    [found] = view.secrets
    assert found.doc_id == "fresh"
    assert [(k.kind, k.count) for k in found.found] == [("aws-access-key", 2), ("password-assignment", 1)]
    assert [(f.question, [c.doc_id for c in f.cited]) for f in view.negative_feedback] == [
        ("Newest question", ["soon"]),
        ("How do I rotate keys?", ["late-a-lot"]),
    ]
    assert view.negative_feedback[1].comment == "outdated"
    body = json.dumps(view.model_dump(mode="json"))
    for needle in (*HIDDEN, "AKIA", "pass…", "BEGIN", "carol@", "Answer quoting", "Thumbs up question"):
        assert needle not in body, needle


def test_another_owner_sees_only_their_own() -> None:
    view = _view(BOB)
    assert {d.doc_id for d in view.documents} == {"bobs", "newer", "copy"}
    assert [i.doc_id for i in view.overdue] == ["bobs"]
    assert [s.doc_id for s in view.secrets] == ["bobs"]
    assert [f.question for f in view.negative_feedback] == ["Bob's page question"]
    assert [(d.doc_id, [c.doc_id for c in d.copies]) for d in view.near_duplicates] == [("copy", ["fresh"])]
    assert "alice" not in json.dumps([d.model_dump(mode="json") for d in view.documents])


def test_an_admin_reads_everything_but_owns_nothing_here() -> None:
    view = _view(Principal(user="root@acme.test", admin=True))
    assert view.documents == view.overdue == view.successors == view.secrets == []
    assert view.negative_feedback == [] and view.near_duplicates == []


def test_runtime_owner_view_is_the_digests_judgement(
    tmp_path: Path, store_backend: str, request: pytest.FixtureRequest
) -> None:
    """Over a store: ``Runtime.owner_view`` judges only the owner's pages, exactly as the whole
    run does, and lists what alice's digest lists."""
    settings = place_store(company_settings(tmp_path), store_backend, request)
    rt = Runtime(settings, clock=FixedClock(NOW))
    try:
        fill_store(rt)
        runner = rt.alert_runner()
        _, everything = runner.judgements(NOW)
        _, hers = runner.judgements(NOW, owner="ALICE@acme.test ")
        assert sorted(hers) == ["a-fresh", "a-oncall", "a-runbook", "a-vpn"]
        assert {k: everything[k] for k in hers} == hers
        view = rt.owner_view(Principal(user="alice@acme.test"))
        digest = {d.recipient: d for d in runner.collect(NOW).digests}["alice@acme.test"]
        assert [i.doc_id for i in view.overdue + view.due_soon] == [i.doc_id for i in digest.items]
        assert [(i.usage, i.overdue_days) for i in view.overdue] == [(5, 202), (5, 23)]
        assert [(s.doc_id, [(k.kind, k.count) for k in s.found]) for s in view.secrets] == [
            ("a-fresh", [("aws-access-key", 1)])
        ]
        assert rt.owner_view(Principal(user="bob@acme.test")).overdue == []  # his page is deprecated
    finally:
        rt.close()
