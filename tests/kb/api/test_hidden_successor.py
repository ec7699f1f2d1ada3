"""Issue 11.3: when a readable document's successor is one the caller may not read, neither GET
/v1/docs nor GET /v1/docs/{id} shows its id, title or any hint of it (freshness reasons,
``record.superseded_by``, ``record.properties``, the ``successor`` field); a reader who may read
the successor sees it. The store is filled directly: the docs routes need records, no index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb.api.app import create_app
from kb.auth import hash_token
from kb.clock import FixedClock
from kb.config import Settings, TokenEntry
from kb.records import Document
from kb.runtime import Runtime

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OLD, NEW = "notion:" + "1" * 32, "notion:" + "2" * 32
OUTSIDER, FINANCE = "tok-outsider", "tok-finance"


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings()
    settings.data.dir = tmp_path
    settings.auth.tokens = [
        TokenEntry(sha256=hash_token(OUTSIDER), user="vendor@partner.example"),
        TokenEntry(sha256=hash_token(FINANCE), user="fin@acme.test", groups=["finance"]),
    ]
    rt = Runtime(settings, clock=FixedClock(NOW))
    reviewed = datetime(2026, 10, 1, tzinfo=UTC)
    rt.documents.upsert(
        Document(
            doc_id=OLD,
            source="notion",
            title="Expense Policy 2020",
            text="Expenses above 50 EUR need a receipt.",
            last_reviewed_at=reviewed,
            superseded_by=NEW,
            properties={"Superseded by": "Expense Policy 2027 (finance draft)", "Team": "Finance"},
            acl=["everyone"],
        )
    )
    rt.documents.upsert(
        Document(
            doc_id=NEW,
            source="notion",
            title="Expense Policy 2027 (finance draft)",
            text="Expenses above 80 EUR need a receipt.",
            last_reviewed_at=reviewed,
            supersedes=[OLD],
            acl=["group:finance"],
        )
    )
    with TestClient(create_app(rt, warm=False)) as c:
        yield c
    rt.close()


def _get(client: TestClient, path: str, token: str) -> str:
    resp = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    return resp.text


def test_a_successor_the_caller_cannot_read_leaves_no_trace(client: TestClient) -> None:
    for body in (_get(client, "/v1/docs", OUTSIDER), _get(client, f"/v1/docs/{OLD}", OUTSIDER)):
        assert NEW not in body and "Policy 2027" not in body
        assert "superseded by" not in body.lower() and '"superseded"' not in body  # no status or reason
        assert "Expense Policy 2020" in body
    detail = client.get(f"/v1/docs/{OLD}", headers={"Authorization": f"Bearer {OUTSIDER}"}).json()
    assert detail["record"]["properties"] == {"Team": "Finance"}  # other properties stay
    assert detail["successor"] is None and detail["record"]["superseded_by"] is None
    assert detail["status"] == "fresh"


def test_a_reader_of_the_successor_sees_it(client: TestClient) -> None:
    detail = client.get(f"/v1/docs/{OLD}", headers={"Authorization": f"Bearer {FINANCE}"}).json()
    assert detail["status"] == "superseded"
    assert detail["successor"]["doc_id"] == NEW and detail["successor"]["inferred"] is False
    assert detail["record"]["superseded_by"] == NEW
    assert "superseded by 'Expense Policy 2027 (finance draft)'" in detail["freshness"]["reasons"]
    listed = client.get("/v1/docs", headers={"Authorization": f"Bearer {FINANCE}"}).json()
    assert {d["doc_id"]: d["status"] for d in listed["documents"]}[OLD] == "superseded"
