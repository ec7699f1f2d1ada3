"""``POST /v1/docs/{id}/review`` and the one-click review link page, through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from kb.alerts.links import ReviewLinks
from kb.api import create_app
from kb.auth import hash_token
from kb.clock import FixedClock
from kb.config import settings_from_dict
from kb.records import Document
from kb.runtime import Runtime
from kb.store.reviews import ReviewStore
from tests.conftest import EXAMPLE_NOW

KEY = "api-review-signing-key-0123456789"
ALICE = {"Authorization": "Bearer tok-alice"}
BOB = {"Authorization": "Bearer tok-bob"}
ADMIN = {"Authorization": "Bearer tok-admin"}


@pytest.fixture
def rt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("KB_SIGNING_KEY", KEY)
    settings = settings_from_dict(
        {
            "data": {"dir": str(tmp_path / "data")},
            "auth": {
                "tokens": [
                    {"sha256": hash_token("tok-alice"), "user": "alice@acme.test"},
                    {"sha256": hash_token("tok-bob"), "user": "bob@acme.test"},
                    {"sha256": hash_token("tok-admin"), "user": "root@acme.test", "admin": True},
                ]
            },
            "api": {"public_base_url": "https://kb.acme.test"},
        }
    )
    runtime = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
    edited = EXAMPLE_NOW - timedelta(days=200)
    for doc_id, acl in (("notion:runbook", ["everyone"]), ("notion:secret", ["group:security"])):
        runtime.documents.upsert(
            Document(
                doc_id=doc_id,
                source="notion",
                title=f"Title of {doc_id}",
                owner="alice@acme.test",
                last_edited_at=edited,
                last_reviewed_at=edited,
                review_interval_days=90,
                acl=acl,
                text="Deploy with the pipeline.",
            )
        )
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, warm=False), raise_server_exceptions=False) as c:
        yield c


def test_owner_review_makes_the_doc_fresh(client: TestClient, rt: Runtime) -> None:
    before = client.get("/v1/docs/notion:runbook", headers=ALICE).json()
    assert before["status"] == "overdue"
    resp = client.post("/v1/docs/notion:runbook/review", headers=ALICE, json={"note": "checked"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["freshness"]["status"] == "fresh"
    assert body["freshness"]["reviewed_basis"] == "review"
    assert body["review"]["reviewer"] == "alice@acme.test"
    assert body["review"]["note"] == "checked"
    [review] = ReviewStore(rt.db).history("notion:runbook")
    assert (review.reviewer, review.reviewed_at, review.via) == ("alice@acme.test", EXAMPLE_NOW, "api")
    detail = client.get("/v1/docs/notion:runbook", headers=ALICE).json()
    assert [r["reviewer"] for r in detail["reviews"]] == ["alice@acme.test"]


def test_review_counts_until_the_source_shows_a_newer_edit(client: TestClient, rt: Runtime) -> None:
    assert client.post("/v1/docs/notion:runbook/review", headers=ALICE).status_code == 200
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(days=30)
    assert (
        client.post("/v1/docs/notion:runbook/review", headers=ADMIN).json()["freshness"]["status"] == "fresh"
    )
    doc = rt.documents.get("notion:runbook")
    assert doc is not None
    # an edit before the latest review changes nothing
    rt.documents.upsert(doc.model_copy(update={"last_edited_at": rt.clock.now() - timedelta(hours=1)}))
    assert client.get("/v1/docs/notion:runbook", headers=ALICE).json()["status"] == "fresh"
    # the source is edited after the review (its own review date is old): overdue again
    rt.clock.advance(days=1)
    rt.documents.upsert(doc.model_copy(update={"last_edited_at": rt.clock.now() - timedelta(hours=1)}))
    detail = client.get("/v1/docs/notion:runbook", headers=ALICE).json()
    assert detail["freshness"]["status"] == "overdue"
    assert any("no longer counts" in r for r in detail["freshness"]["reasons"])


def test_other_user_gets_403_and_nothing_is_recorded(client: TestClient, rt: Runtime) -> None:
    resp = client.post("/v1/docs/notion:runbook/review", headers=BOB)
    assert resp.status_code == 403
    assert resp.json()["error"]["type"] == "PermissionDenied"
    assert ReviewStore(rt.db).history("notion:runbook") == []


def test_admin_may_review_any_document(client: TestClient, rt: Runtime) -> None:
    resp = client.post("/v1/docs/notion:secret/review", headers=ADMIN)
    assert resp.status_code == 200
    assert ReviewStore(rt.db).latest("notion:secret").reviewer == "root@acme.test"  # type: ignore[union-attr]


def test_unknown_or_unreadable_doc_is_404(client: TestClient) -> None:
    assert client.post("/v1/docs/notion:nope/review", headers=ADMIN).status_code == 404
    # alice owns it but may not read it (ACL group:security): same 404 as a missing document
    unreadable = client.post("/v1/docs/notion:secret/review", headers=ALICE)
    missing = client.post("/v1/docs/notion:nope/review", headers=ALICE)
    assert unreadable.status_code == missing.status_code == 404
    assert unreadable.json()["error"]["message"] == missing.json()["error"]["message"]


def test_review_needs_a_token(client: TestClient) -> None:
    assert client.post("/v1/docs/notion:runbook/review").status_code == 401


def test_note_too_long_is_400(client: TestClient) -> None:
    resp = client.post("/v1/docs/notion:runbook/review", headers=ALICE, json={"note": "x" * 5000})
    assert resp.status_code == 400


def link_path(rt: Runtime, doc_id: str, owner: str, *, now: object = None) -> str:
    url = ReviewLinks(rt.settings).url_for(doc_id, owner, now or rt.clock.now())  # type: ignore[arg-type]
    parts = urlsplit(url)
    assert parts.netloc == "kb.acme.test"
    return f"{parts.path}?{parts.query}"


def test_link_get_shows_a_confirm_page_and_records_nothing(client: TestClient, rt: Runtime) -> None:
    resp = client.get(link_path(rt, "notion:runbook", "alice@acme.test"))
    assert resp.status_code == 200
    assert "Title of notion:runbook" in resp.text
    assert '<form method="post">' in resp.text
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert ReviewStore(rt.db).history("notion:runbook") == []


def test_link_post_records_the_review_as_the_link_owner(client: TestClient, rt: Runtime) -> None:
    resp = client.post(link_path(rt, "notion:runbook", "alice@acme.test"))
    assert resp.status_code == 200
    assert "is marked fresh" in resp.text
    [review] = ReviewStore(rt.db).history("notion:runbook")
    assert (review.reviewer, review.via) == ("alice@acme.test", "link")


def test_expired_link_is_a_400_page(client: TestClient, rt: Runtime) -> None:
    path = link_path(
        rt,
        "notion:runbook",
        "alice@acme.test",
        now=rt.clock.now() - timedelta(days=rt.settings.alerts.link_ttl_days + 1),
    )
    for resp in (client.get(path), client.post(path)):
        assert resp.status_code == 400
        assert "expired" in resp.text
    assert ReviewStore(rt.db).history("notion:runbook") == []


def test_tampered_link_is_a_403_page_that_reveals_nothing(client: TestClient, rt: Runtime) -> None:
    path = link_path(rt, "notion:runbook", "alice@acme.test")
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for resp in (client.get(tampered), client.post(tampered), client.post("/v1/review?token=junk")):
        assert resp.status_code == 403
        assert "This review link is not valid." in resp.text
        assert "notion:runbook" not in resp.text and "Traceback" not in resp.text
    assert ReviewStore(rt.db).history("notion:runbook") == []


def test_link_for_a_deleted_document_is_404(client: TestClient, rt: Runtime) -> None:
    path = link_path(rt, "notion:runbook", "alice@acme.test")
    rt.documents.delete(["notion:runbook"])
    assert client.post(path).status_code == 404


def test_links_without_a_signing_key_are_unavailable(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = link_path(rt, "notion:runbook", "alice@acme.test")
    monkeypatch.setenv("KB_SIGNING_KEY", "changeme")
    resp = client.post(path)
    assert resp.status_code == 503
    assert "changeme" not in resp.text


# -- issue 11, case 6 -------------------------------------------------------------------------------


def test_a_link_records_one_review_and_a_replay_says_so(client: TestClient, rt: Runtime) -> None:
    path = link_path(rt, "notion:runbook", "alice@acme.test")
    assert "is marked fresh" in client.post(path).text
    rt.clock.advance(days=3)  # type: ignore[attr-defined]
    for replay in (client.post(path), client.get(path), client.post(path)):
        assert replay.status_code == 200
        assert "already recorded a review" in replay.text and "nothing new was recorded" in replay.text
        assert "<form" not in replay.text
    [review] = ReviewStore(rt.db).history("notion:runbook")
    assert review.reviewed_at == EXAMPLE_NOW
    # A new link for the same document still works.
    assert "is marked fresh" in client.post(link_path(rt, "notion:runbook", "alice@acme.test")).text
    assert len(ReviewStore(rt.db).history("notion:runbook")) == 2


def _forged(payload: object, key: str = KEY) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = b64(json.dumps(payload).encode())
    return f"{body}.{b64(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest())}"


@pytest.mark.parametrize(
    "token",
    [
        _forged({"d": "notion:runbook", "o": "alice@acme.test", "e": 10**20}),
        _forged({"d": "notion:runbook", "o": "alice@acme.test", "e": -(10**20)}),
        _forged({"d": "notion:runbook", "o": "alice@acme.test", "e": 1e308}),
        _forged({"d": "notion:runbook", "o": "alice@acme.test", "e": float("inf")}),
        _forged({"d": "notion:runbook", "o": "alice@acme.test", "e": "soon"}),
        _forged({"d": None, "o": None, "e": None}),
        _forged([1, 2, 3]),
        _forged("just a string"),
        "é.é",
        ".",
        "a" * 4000,
        "%00.%ff",
    ],
)
def test_no_token_is_a_500(client: TestClient, rt: Runtime, token: str) -> None:
    for resp in (
        client.get("/v1/review", params={"token": token}),
        client.post("/v1/review", params={"token": token}),
    ):
        assert resp.status_code in (400, 403), (token, resp.status_code, resp.text)
    assert ReviewStore(rt.db).history("notion:runbook") == []


def test_repeated_reviews_within_a_day_collapse_to_one(client: TestClient, rt: Runtime) -> None:
    first = client.post("/v1/docs/notion:runbook/review", headers=ALICE, json={"note": "one"}).json()
    rt.clock.advance(hours=23)  # type: ignore[attr-defined]
    second = client.post("/v1/docs/notion:runbook/review", headers=ALICE, json={"note": "two"}).json()
    assert (first["collapsed"], second["collapsed"]) == (False, True)
    [review] = ReviewStore(rt.db).history("notion:runbook")
    assert (review.note, review.reviewed_at) == ("two", EXAMPLE_NOW + timedelta(hours=23))
    # Another person, or the same one a day later, is a review of its own.
    assert client.post("/v1/docs/notion:runbook/review", headers=ADMIN).json()["collapsed"] is False
    rt.clock.advance(hours=25)  # type: ignore[attr-defined]
    assert client.post("/v1/docs/notion:runbook/review", headers=ALICE).json()["collapsed"] is False
    assert len(ReviewStore(rt.db).history("notion:runbook")) == 3
    from kb.store.audit import AuditLog

    actions = [(e.user, e.action, e.query) for e in AuditLog(rt.db).entries()]
    assert actions.count(("alice@acme.test", "review:api", "notion:runbook")) == 3
