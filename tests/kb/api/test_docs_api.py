"""GET /v1/docs and /v1/docs/{id} over the example data: only readable documents are listed and
counted, an unreadable document is indistinguishable from a missing one, and the detail view
shows text, freshness, resolution and review history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from kb.records import Principal
from kb.runtime import Runtime
from kb.store.reviews import Review, ReviewStore
from tests.conftest import EXAMPLE_NOW
from tests.kb.api.conftest import USERS, auth, doc_id

pytestmark = pytest.mark.slow

HR_ONLY = {
    "Compensation Bands 2026",
    "Parental Leave Policy (Draft)",
    "Performance Review Cycle",
    "HR",
    "Compensation Review Process 2026",
}
SECURITY_ONLY = {
    "Secrets Rotation Procedure",
    "Incident Response Runbook",
    "Pentest Findings 2026",
    "Access Reviews",
    "Security",
    "Security Incident Severity Matrix",
}


def listing(client: TestClient, user: str, **params: str) -> dict:  # type: ignore[type-arg]
    resp = client.get("/v1/docs", params=params, headers=auth(user))
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_admin_lists_everything(client: TestClient, api_runtime: Runtime) -> None:
    body = listing(client, "admin")
    assert body["count"] == api_runtime.documents.count() == len(body["documents"])
    assert sum(body["counts_by_status"].values()) == body["count"]


@pytest.mark.parametrize("user", ["engineer", "hr", "security", "outsider"])
def test_list_and_counts_hold_only_readable_documents(
    client: TestClient, api_runtime: Runtime, user: str
) -> None:
    body = listing(client, user)
    titles = {d["title"] for d in body["documents"]}
    assert (titles >= HR_ONLY) is (user == "hr")
    assert (titles >= SECURITY_ONLY) is (user == "security")
    if user not in ("hr",):
        assert not HR_ONLY & titles
    if user not in ("security",):
        assert not SECURITY_ONLY & titles
    _, email, groups, _ = USERS[user]
    principal = Principal(user=email, groups=frozenset(groups))
    assert body["count"] == sum(principal.can_read(d.acl) for d in api_runtime.documents.list())
    assert sum(body["counts_by_status"].values()) == body["count"]
    assert all("text" not in d for d in body["documents"])


def test_outsider_sees_only_documents_open_to_everyone(client: TestClient) -> None:
    titles = {d["title"] for d in listing(client, "outsider")["documents"]}
    assert "Payment Methods Supported" in titles  # shared with 'anyone'
    assert "Billing Migration Q4 2026" not in titles  # acme.com domain only


def test_filters_by_freshness_status_owner_and_source(client: TestClient) -> None:
    superseded = listing(client, "engineer", status="superseded")["documents"]
    assert "Deploy Process v1" in {d["title"] for d in superseded}
    assert all(d["status"] == "superseded" for d in superseded)
    overdue = listing(client, "engineer", status="overdue")
    assert "Billing Spec (2021)" in {d["title"] for d in overdue["documents"]}
    assert overdue["counts_by_status"] == {"overdue": overdue["count"]}
    owned = listing(client, "engineer", owner="PRIYA.NAIR@acme.com")["documents"]
    assert owned and all(d["owner"] == "priya.nair@acme.com" for d in owned)
    drive = listing(client, "engineer", source="gdrive")["documents"]
    assert drive and all(d["source"] == "gdrive" for d in drive)


def test_unreadable_document_is_the_same_404_as_a_missing_one(
    client: TestClient, api_runtime: Runtime
) -> None:
    secret = doc_id(api_runtime, "Compensation Bands 2026")
    hidden = client.get(f"/v1/docs/{secret}", headers=auth("engineer"))
    missing_id = "notion:" + "0" * 32
    missing = client.get(f"/v1/docs/{missing_id}", headers=auth("engineer"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"] == {
        "type": "NotFoundError",
        "message": "no such document",
        "subject": secret,
    }
    assert missing.json()["error"] == {**hidden.json()["error"], "subject": missing_id}
    for user in ("hr", "admin"):
        assert client.get(f"/v1/docs/{secret}", headers=auth(user)).status_code == 200


def test_detail_has_text_freshness_resolution_successor_and_reviews(
    client: TestClient, api_runtime: Runtime
) -> None:
    old = doc_id(api_runtime, "Deploy Process v1")
    body = client.get(f"/v1/docs/{old}", headers=auth("engineer")).json()
    assert body["status"] == "superseded" and body["doc_status"] == "deprecated"
    assert body["successor"]["title"] == "Deploy Process v2"
    assert body["record"]["text"]
    assert body["resolution"]
    assert body["alerts"] == []

    redis = doc_id(api_runtime, "Redis Cache Operations")
    ReviewStore(api_runtime.db).record(
        Review(
            doc_id=redis,
            reviewer="ben.ortiz@acme.com",
            reviewed_at=datetime(2026, 11, 19, tzinfo=UTC),
            note="still accurate",
        )
    )
    body = client.get(f"/v1/docs/{redis}", headers=auth("engineer")).json()
    assert [(r["reviewer"], r["note"]) for r in body["reviews"]] == [("ben.ortiz@acme.com", "still accurate")]
    assert body["status"] == "fresh"
    assert body["freshness"]["reviewed_basis"] == "review"
    assert body["freshness"]["basis_at"].startswith("2026-11-19")


def test_docs_api_stale_digests_and_search_agree_on_in_text_markers(
    client: TestClient, api_runtime: Runtime
) -> None:
    """ "VPN Setup (Legacy)" is deprecated only by its text ("This page is deprecated"): every
    caller of assess() must see that, not just search."""

    vpn = doc_id(api_runtime, "VPN Setup (Legacy)")
    listed = {d["doc_id"]: d for d in listing(client, "admin")["documents"]}
    assert listed[vpn]["status"] == "deprecated"
    assert any("this page is deprecated" in r for r in listed[vpn]["freshness"]["reasons"])
    assert vpn in {d["doc_id"] for d in listing(client, "admin", status="deprecated")["documents"]}
    detail = client.get(f"/v1/docs/{vpn}", headers=auth("admin")).json()
    assert detail["status"] == "deprecated"
    _, fresh, _ = api_runtime.alert_runner().assessments(EXAMPLE_NOW)  # kb stale, kb docs, digests
    assert fresh[vpn].status == "deprecated"
    _, email, groups, _ = USERS["admin"]
    result = api_runtime.retriever.search(
        "VPN setup legacy", Principal(user=email, groups=frozenset(groups), admin=True), now=EXAMPLE_NOW
    )
    assert next(h for h in result.hits if h.doc.doc_id == vpn).freshness.status == "deprecated"
