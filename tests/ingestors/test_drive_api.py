"""``DrivePuller`` with the real google-api-python-client and google-auth against the loopback
Drive API v3 and token servers: service account and OAuth credentials, shared drives and
folders, exports, permissions, the changes feed, retries and refused credentials."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ingestors.drive_api import DrivePuller
from ingestors.drive_client import DOCX, PPTX, XLSX
from kb.config import Settings, settings_from_dict
from kb.errors import IngestError
from kb.records import Document, SourceBatch
from kb.store.db import Database
from kb.store.pull_state import PullState
from tests.ingestors.drive_server import EXPORT_LIMIT, DriveServer, DriveState
from tests.ingestors.test_extract import docx_bytes, pdf_bytes, pptx_bytes, xlsx_bytes

GDOC, GSHEET, GSLIDES = (
    f"application/vnd.google-apps.{t}" for t in ("document", "spreadsheet", "presentation")
)
FOLDER = "application/vnd.google-apps.folder"
DRIVE = "0ADriveEng"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


def fill(st: DriveState) -> DriveState:
    st.drives[DRIVE] = "Engineering Shared"
    st.add({"id": "fRun", "name": "Runbooks", "mimeType": FOLDER, "parents": [DRIVE], "driveId": DRIVE})
    st.add(
        {
            "id": "d1",
            "name": "Incident Runbook",
            "mimeType": GDOC,
            "parents": ["fRun"],
            "driveId": DRIVE,
            "modifiedTime": "2026-10-01T09:00:00.000Z",
            "webViewLink": "https://docs.google.com/document/d/d1/edit",
            "appProperties": {"lastReviewed": "2026-09-15", "reviewIntervalDays": "90"},
            "lastModifyingUser": {"displayName": "Bob Ortiz", "emailAddress": "bob.ortiz@acme.com"},
        },
        exports={DOCX: docx_bytes()},
    )
    st.permissions["d1"] = [{"type": "group", "role": "reader", "emailAddress": "Engineering@acme.com"}]
    st.add(
        {"id": "s1", "name": "Vendors", "mimeType": GSHEET, "parents": [DRIVE], "driveId": DRIVE},
        exports={XLSX: xlsx_bytes()},
    )
    st.add(
        {"id": "sl1", "name": "Roadmap", "mimeType": GSLIDES, "parents": [DRIVE], "driveId": DRIVE},
        exports={PPTX: pptx_bytes()},
    )
    st.add(
        {
            "id": "p1",
            "name": "Handbook.pdf",
            "mimeType": "application/pdf",
            "parents": [DRIVE],
            "driveId": DRIVE,
        },
        content=pdf_bytes(),
    )
    st.add(
        {
            "id": "form1",
            "name": "Survey",
            "mimeType": "application/vnd.google-apps.form",
            "parents": [DRIVE],
            "driveId": DRIVE,
        }
    )
    st.add(
        {"id": "big1", "name": "Huge spec", "mimeType": GDOC, "parents": [DRIVE], "driveId": DRIVE},
        exports={DOCX: b"x" * (EXPORT_LIMIT + 1)},
    )
    # My Drive: a folder tree shared with the service account.
    st.add({"id": "fTeam", "name": "Team", "mimeType": FOLDER, "parents": ["root"]})
    st.add({"id": "fSub", "name": "Sub", "mimeType": FOLDER, "parents": ["fTeam"]})
    st.add(
        {
            "id": "n1",
            "name": "Notes.md",
            "mimeType": "text/markdown",
            "parents": ["fSub"],
            "owners": [{"displayName": "Alice Chen", "emailAddress": "Alice.Chen@acme.com"}],
            "permissions": [
                {"type": "user", "role": "writer", "emailAddress": "bob.ortiz@acme.com"},
                {"type": "domain", "role": "reader", "domain": "acme.com"},
            ],
            "modifiedTime": "2026-11-02T10:00:00Z",
        },
        content=b"# Team notes\n\nStand-up at 10.\n",
    )
    return st


@pytest.fixture
def server() -> Iterator[DriveServer]:
    with DriveServer(fill(DriveState(public_key=KEY.public_key()))) as srv:
        yield srv


def service_account_file(tmp_path: Path, server: DriveServer) -> Path:
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-kb",
                "private_key_id": "k1",
                "private_key": PEM,
                "client_email": "freshkb@acme-kb.iam.gserviceaccount.com",
                "client_id": "1234",
                "token_uri": f"{server.url}/token",
            }
        )
    )
    return path


def make_settings(server: DriveServer, tmp_path: Path, **source: Any) -> Settings:
    return settings_from_dict(
        {
            "sources": [
                {
                    "name": "gdrive",
                    "kind": "drive",
                    "api_url": server.url,
                    "credentials_file": str(
                        source.pop("credentials_file", service_account_file(tmp_path, server))
                    ),
                    "drives": [DRIVE],
                    "folders": ["fTeam"],
                    "requests_per_second": 100,
                    "backoff_s": 0.01,
                    **source,
                }
            ]
        }
    )


def pull(
    settings: Settings, tmp_path: Path, sleep: Callable[[float], None] | None = None
) -> tuple[dict[str, Document], SourceBatch]:
    state = PullState(Database(tmp_path / "state.sqlite"), "gdrive")
    puller = DrivePuller(settings, settings.source("gdrive"), state, sleep=sleep or (lambda s: None))
    batch = puller.read()
    return {d.doc_id: d for d in batch.documents}, batch


def test_full_pull_of_a_shared_drive_and_a_folder_tree(server: DriveServer, tmp_path: Path) -> None:
    docs, batch = pull(make_settings(server, tmp_path, subject="admin@acme.com"), tmp_path)
    assert sorted(docs) == ["gdrive:d1", "gdrive:n1", "gdrive:p1", "gdrive:s1", "gdrive:sl1"]
    assert batch.complete
    d1 = docs["gdrive:d1"]
    assert (d1.title, d1.path) == ("Incident Runbook", ["Engineering Shared", "Runbooks"])
    assert "Install the VPN client first." in d1.text
    assert d1.acl == ["group:engineering@acme.com"]  # permissions.list: files.list had none
    assert (d1.last_reviewed_at, d1.review_interval_days) == (datetime(2026, 9, 15, tzinfo=UTC), 90)
    assert (
        d1.last_edited_by == "bob.ortiz@acme.com" and d1.url == "https://docs.google.com/document/d/d1/edit"
    )
    n1 = docs["gdrive:n1"]
    assert (n1.title, n1.path, n1.owner) == ("Notes", ["Team", "Sub"], "alice.chen@acme.com")
    assert n1.acl == ["domain:acme.com", "user:alice.chen@acme.com", "user:bob.ortiz@acme.com"]
    assert "Stand-up at 10." in n1.text and "Vendor 0" in docs["gdrive:s1"].text
    assert "Q3 Roadmap" in docs["gdrive:sl1"].text and "on-call engineer" in docs["gdrive:p1"].text
    issues = {i.input: (i.severity, i.reason) for i in batch.issues}
    assert issues["source 'gdrive': file form1 (Survey)"][0] == "warning"
    assert issues["source 'gdrive': file big1 (Huge spec)"] == (
        "warning",
        "too large for Drive's export (10 MB limit); skipped",
    )
    # The service account signed its grant with the read-only scope, impersonating the subject.
    (grant,) = server.state.grants
    assert (
        grant["scope"] == "https://www.googleapis.com/auth/drive.readonly"
        and grant["sub"] == "admin@acme.com"
    )


def test_oauth_authorized_user_credentials(server: DriveServer, tmp_path: Path) -> None:
    creds = tmp_path / "oauth.json"
    creds.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "cid.apps.googleusercontent.com",
                "client_secret": "csecret",
                "refresh_token": server.state.refresh_token,
                "token_uri": f"{server.url}/token",
            }
        )
    )
    docs, batch = pull(make_settings(server, tmp_path, credentials_file=creds), tmp_path)
    assert len(docs) == 5 and batch.complete
    assert server.state.grants == [
        {"refresh_token": "1//refresh", "client_id": "cid.apps.googleusercontent.com"}
    ]


def test_markdown_export_format_exports_docs_as_markdown(server: DriveServer, tmp_path: Path) -> None:
    server.state.exports["d1"]["text/markdown"] = b"# Incident Runbook\n\nPage the on-call.\n"
    docs, _ = pull(make_settings(server, tmp_path, export_format="markdown"), tmp_path)
    assert (
        docs["gdrive:d1"].text.startswith("# Incident Runbook")
        and "Page the on-call." in docs["gdrive:d1"].text
    )


def test_later_pulls_read_only_the_changes_feed(server: DriveServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path)
    first, _ = pull(settings, tmp_path)
    lists, exports = server.state.calls("/drive/v3/files"), server.state.calls("/drive/v3/files/d1/export")
    server.state.exports["d1"][DOCX] = docx_bytes().replace(b"Welcome", b"Welcome")  # same text
    server.state.files["d1"]["appProperties"]["lastReviewed"] = "2026-11-20"
    server.state.change("d1")
    server.state.change("p1", removed=True)
    docs, batch = pull(settings, tmp_path)
    assert batch.complete
    assert server.state.calls("/drive/v3/files/d1/export") == exports + 1
    assert server.state.calls("/drive/v3/files") - lists == 2  # d1's export and permissions only
    assert "gdrive:p1" not in docs and len(docs) == 4
    assert docs["gdrive:d1"].last_reviewed_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert docs["gdrive:n1"] == first["gdrive:n1"]
    again, _ = pull(settings, tmp_path)
    assert again == docs and server.state.calls("/drive/v3/files/d1/export") == exports + 1


def test_a_failing_changes_feed_keeps_everything_and_the_token(server: DriveServer, tmp_path: Path) -> None:
    settings = make_settings(server, tmp_path, max_retries=1)
    first, _ = pull(settings, tmp_path)
    server.state.change("p1", removed=True)
    server.state.fail("/drive/v3/changes", 500, 500)
    docs, batch = pull(settings, tmp_path)
    assert batch.complete is False and docs.keys() == first.keys()
    assert any(i.input == "source 'gdrive': changes.list" and "HTTP 500" in i.reason for i in batch.issues)
    docs, batch = pull(settings, tmp_path)  # the token did not move: the removal is seen now
    assert batch.complete and "gdrive:p1" not in docs


def test_429_retry_after_and_5xx_backoff_on_listing(server: DriveServer, tmp_path: Path) -> None:
    server.state.fail("/drive/v3/files", 429, 503)
    sleeps: list[float] = []
    docs, batch = pull(make_settings(server, tmp_path, backoff_s=0.5), tmp_path, sleeps.append)
    assert batch.complete and len(docs) == 5
    assert [round(s, 2) for s in sleeps if s >= 0.4] == [1.0, 1.0]


def test_listing_failure_is_incomplete(server: DriveServer, tmp_path: Path) -> None:
    server.state.fail("/drive/v3/files", 500, 500)
    docs, batch = pull(make_settings(server, tmp_path, max_retries=1), tmp_path)
    assert batch.complete is False
    assert any(i.input == f"source 'gdrive': shared drive {DRIVE}" for i in batch.issues)
    assert "gdrive:n1" in docs  # the folder tree was still read


def test_revoked_credentials_are_a_clear_error(server: DriveServer, tmp_path: Path) -> None:
    server.state.revoked = True
    with pytest.raises(IngestError) as err:
        pull(make_settings(server, tmp_path), tmp_path)
    assert err.value.subject == "source 'gdrive'"
    assert "Google refused the credentials in" in err.value.message and "sa.json" in err.value.message
    assert "invalid_grant" in err.value.message


def test_unusable_credentials_file_is_named(server: DriveServer, tmp_path: Path) -> None:
    bad = tmp_path / "creds.json"
    bad.write_text('{"type": "external_account"}')
    with pytest.raises(IngestError, match=r"neither a service account key nor OAuth"):
        pull(make_settings(server, tmp_path, credentials_file=bad), tmp_path)


def test_export_writes_the_manifest_contract_that_ingest_reads_back(
    server: DriveServer, tmp_path: Path
) -> None:
    from ingestors.drive import DriveIngestor
    from ingestors.drive_export import export_drive

    settings = make_settings(server, tmp_path)
    out = tmp_path / "drive_export"
    report = export_drive(settings, settings.source("gdrive"), out, sleep=lambda s: None)
    assert report.complete
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    d1 = next(e for e in lines if e["id"] == "d1")
    assert d1["x_local_path"] == "files/d1/Incident Runbook.docx" and (out / d1["x_local_path"]).exists()
    assert d1["permissions"] == [{"type": "group", "role": "reader", "emailAddress": "Engineering@acme.com"}]
    assert "x_local_path" not in next(e for e in lines if e["id"] == "form1")
    big = next(e for e in lines if e["id"] == "big1")
    assert (
        "x_local_path" not in big
        and big["x_skipped"] == "too large for Drive's export (10 MB limit); skipped"
    )
    read_back = DriveIngestor(settings).read(out)
    # Files the exporter left out on purpose are skips, as in a pull: the export stays complete.
    assert read_back.complete and all(i.severity == "warning" for i in read_back.issues)
    assert any(i.doc_id == "gdrive:big1" and "not exported: too large" in i.reason for i in read_back.issues)
    exported = {d.doc_id: d for d in read_back.documents}
    pulled, _ = pull(settings, tmp_path)
    assert sorted(exported) == sorted(pulled)
    for doc_id, doc in pulled.items():
        other = exported[doc_id]
        assert (other.title, other.path, other.acl, other.owner, other.text) == (
            doc.title,
            doc.path,
            doc.acl,
            doc.owner,
            doc.text,
        ), doc_id


def test_export_refuses_a_non_empty_folder_that_is_not_an_export(server: DriveServer, tmp_path: Path) -> None:
    from ingestors.drive_export import export_drive

    settings = make_settings(server, tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.docx").write_bytes(b"mine")
    with pytest.raises(IngestError, match="not empty"):
        export_drive(settings, settings.source("gdrive"), tmp_path / "out")
    assert (tmp_path / "out" / "thesis.docx").read_bytes() == b"mine"


def test_a_folder_no_longer_shared_makes_the_pull_incomplete(server: DriveServer, tmp_path: Path) -> None:
    docs, batch = pull(make_settings(server, tmp_path, folders=["fTeam", "fGone"]), tmp_path)
    assert batch.complete is False and "gdrive:n1" in docs and "gdrive:d1" in docs
    (issue,) = [i for i in batch.issues if i.input == "source 'gdrive': folder fGone"]
    assert "HTTP 404 notFound" in issue.reason and "nothing is removed" in issue.reason


def test_label_fields_are_read_when_the_label_is_configured(server: DriveServer, tmp_path: Path) -> None:
    server.state.files["p1"]["labelInfo"] = {
        "labels": [
            {
                "id": "lblReview",
                "fields": {"lastReviewed": {"valueType": "dateString", "dateString": ["2026-08-01"]}},
            }
        ]
    }
    without, _ = pull(make_settings(server, tmp_path), tmp_path / "a")
    assert without["gdrive:p1"].last_reviewed_at is None
    docs, _ = pull(make_settings(server, tmp_path, labels=["lblReview"]), tmp_path / "b")
    p1 = docs["gdrive:p1"]
    assert p1.last_reviewed_at == datetime(2026, 8, 1, tzinfo=UTC)
    assert p1.resolution["last_reviewed_at"] == "labels.lblReview.lastReviewed"
    assert server.state.queries[-1]["includeLabels"] == "lblReview"
