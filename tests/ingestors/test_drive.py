"""DriveIngestor over small exports built in tmp_path (real docx/pdf/pptx/xlsx files)."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestors.drive import DriveIngestor
from kb.config import Settings, settings_from_dict
from kb.records import Document, SourceBatch
from tests.ingestors.test_extract import HTML, docx_bytes, pdf_bytes, pptx_bytes, xlsx_bytes

DOC = "application/vnd.google-apps.document"
FOLDER = "application/vnd.google-apps.folder"


def entry(file_id: str, name: str, mime: str, local: str | None, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "id": file_id,
        "name": name,
        "mimeType": mime,
        "webViewLink": f"https://drive.google.com/file/d/{file_id}/view",
        **extra,
    }
    if local is not None:
        e["x_local_path"] = local
    return e


def write_export(
    root: Path, lines: list[dict[str, Any] | str], files: dict[str, bytes], info: str | None = None
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "export_info.json").write_text(
        info
        if info is not None
        else json.dumps(
            {
                "exported_at": "2026-11-19T08:00:00Z",
                "exporter": "drive-export 1.0",
                "root_folder_id": "fRoot",
                "timezone": "Europe/Berlin",
            }
        )
    )
    (root / "manifest.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    )
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def by_id(batch: SourceBatch) -> dict[str, Document]:
    return {d.doc_id: d for d in batch.documents}


PERMISSIONS = [
    {"type": "user", "role": "owner", "emailAddress": "Alice@Acme.com"},
    {"type": "user", "role": "writer", "emailAddress": "Carol@Acme.com"},
    {"type": "group", "role": "reader", "emailAddress": "Eng-Team@Acme.com"},
    {"type": "domain", "role": "commenter", "domain": "Acme.com"},
    {"type": "anyone", "role": "reader"},
    {"type": "user", "role": "reader", "emailAddress": "mallory@evil.com", "deleted": True},
]


def good_export(root: Path) -> Path:
    f = "files"
    lines: list[dict[str, Any] | str] = [
        entry("fRoot", "Engineering", FOLDER, None, parents=["0ARootOfDrive"]),
        entry("fRun", "Runbooks", FOLDER, None, parents=["fRoot"]),
        entry(
            "dOnb",
            "Onboarding Guide",
            DOC,
            f"{f}/dOnb/Onboarding Guide.docx",
            parents=["fRoot"],
            owners=[{"displayName": "Alice", "emailAddress": "Alice@Acme.com"}],
            lastModifyingUser={"displayName": "Bob", "emailAddress": "Bob@Acme.com"},
            modifiedTime="2026-10-01T09:30:00.000Z",
            createdTime="2025-01-01T00:00:00.000Z",
            description="How to start",
            permissions=PERMISSIONS,
            properties={"team": "platform"},
            appProperties={
                "lastReviewed": "2026-01-15",
                "reviewIntervalDays": "90",
                "status": "Deprecated",
                "supersededBy": "dNewGuide",
            },
        ),
        entry(
            "dPdf",
            "runbook.pdf",
            "application/pdf",
            f"{f}/dPdf/runbook.pdf",
            parents=["fRun"],
            driveId="0ASharedDrive",
            modifiedTime="2026-09-30T22:15:00+02:00",
            lastModifyingUser={"displayName": "Dana Ops"},
            labelInfo={
                "labels": [
                    {
                        "id": "lblReview",
                        "fields": {
                            "62BB395EC6": {
                                "kind": "drive#labelField",
                                "id": "lastReviewed",
                                "valueType": "dateString",
                                "dateString": ["2026-09-01"],
                            }
                        },
                    }
                ]
            },
        ),
        entry(
            "dPpt",
            "Q3 Roadmap",
            "application/vnd.google-apps.presentation",
            f"{f}/dPpt/Q3 Roadmap.pptx",
            parents=["fRoot"],
            appProperties={"supersedes": "dOldA, https://docs.google.com/presentation/d/dOldB12345/edit"},
        ),
        entry(
            "dXls",
            "Vendors v1.2",
            "application/vnd.google-apps.spreadsheet",
            f"{f}/dXls/Vendors v1.2.xlsx",
            parents=["fRun"],
        ),
        entry("dHtml", "policy.html", "text/html", f"{f}/dHtml/policy.html"),
        entry("dMd", "Team Notes", DOC, f"{f}/dMd/Team Notes.md", parents=["fRoot"]),
        entry("dTxt1", "readme.txt", "text/plain", f"{f}/dTxt1/readme.txt", parents=["fRoot"]),
        entry("dTxt2", "readme.txt", "text/plain", f"{f}/dTxt2/readme.txt", parents=["fRoot"]),
        entry("dTrash", "Old plan", DOC, f"{f}/dTrash/Old plan.docx", trashed=True),
    ]
    files = {
        f"{f}/dOnb/Onboarding Guide.docx": docx_bytes(),
        f"{f}/dPdf/runbook.pdf": pdf_bytes(),
        f"{f}/dPpt/Q3 Roadmap.pptx": pptx_bytes(),
        f"{f}/dXls/Vendors v1.2.xlsx": xlsx_bytes(),
        f"{f}/dHtml/policy.html": HTML,
        f"{f}/dMd/Team Notes.md": b"# Notes\n\nStandup at 10.\n",
        f"{f}/dTxt1/readme.txt": b"first readme",
        f"{f}/dTxt2/readme.txt": b"second readme",
        f"{f}/dTrash/Old plan.docx": docx_bytes(),
    }
    return write_export(root, lines, files)


def test_reads_every_document_type_keyed_by_id(settings: Settings, tmp_path: Path) -> None:
    batch = DriveIngestor(settings).read(good_export(tmp_path / "drive_export"))
    assert batch.complete is True
    assert batch.issues == []
    docs = by_id(batch)
    assert sorted(docs) == [
        "gdrive:dHtml",
        "gdrive:dMd",
        "gdrive:dOnb",
        "gdrive:dPdf",
        "gdrive:dPpt",
        "gdrive:dTxt1",
        "gdrive:dTxt2",
        "gdrive:dXls",
    ]
    titles = {k: d.title for k, d in docs.items()}
    assert titles == {
        "gdrive:dHtml": "policy",
        "gdrive:dMd": "Team Notes",
        "gdrive:dOnb": "Onboarding Guide",
        "gdrive:dPdf": "runbook",
        "gdrive:dPpt": "Q3 Roadmap",
        "gdrive:dTxt1": "readme",
        "gdrive:dTxt2": "readme",
        "gdrive:dXls": "Vendors v1.2",
    }
    assert docs["gdrive:dOnb"].text.startswith("# Onboarding Guide\n\nWelcome to Acme.\n\n## Laptop setup")
    assert "escalate after 30 minutes" in docs["gdrive:dPdf"].text
    assert docs["gdrive:dPpt"].text.startswith("## Slide 1: Q3 Roadmap")
    assert docs["gdrive:dXls"].text.startswith("## Vendors\nVendor | Contact | Renewal")
    assert docs["gdrive:dHtml"].text.startswith("# Expense policy")
    assert docs["gdrive:dMd"].text == "# Notes\n\nStandup at 10."
    assert (docs["gdrive:dTxt1"].text, docs["gdrive:dTxt2"].text) == ("first readme", "second readme")
    assert all(d.source == "gdrive" and d.content_hash == d.compute_content_hash() for d in docs.values())


def test_breadcrumb_url_and_source_path(settings: Settings, tmp_path: Path) -> None:
    docs = by_id(DriveIngestor(settings).read(good_export(tmp_path / "x")))
    assert docs["gdrive:dPdf"].path == ["Engineering", "Runbooks"]
    assert docs["gdrive:dOnb"].path == ["Engineering"]
    assert docs["gdrive:dHtml"].path == []
    assert docs["gdrive:dPdf"].url == "https://drive.google.com/file/d/dPdf/view"
    assert docs["gdrive:dPdf"].source_path == "files/dPdf/runbook.pdf"


def test_owner_editor_dates_and_lifecycle_from_app_properties(settings: Settings, tmp_path: Path) -> None:
    doc = by_id(DriveIngestor(settings).read(good_export(tmp_path / "x")))["gdrive:dOnb"]
    assert doc.owner == "alice@acme.com"
    assert doc.last_edited_by == "bob@acme.com"
    assert doc.last_edited_at == datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    # A date-only review is midnight in the exporter's time zone (Europe/Berlin, UTC+1 in January).
    assert doc.last_reviewed_at == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)
    assert doc.review_interval_days == 90
    assert doc.status == "deprecated"
    assert doc.superseded_by == "gdrive:dNewGuide"
    assert doc.resolution == {
        "acl": "permissions",
        "owner": "owners[0].emailAddress",
        "last_edited_by": "lastModifyingUser.emailAddress",
        "last_edited_at": "modifiedTime",
        "last_reviewed_at": "appProperties.lastReviewed",
        "review_interval_days": "appProperties.reviewIntervalDays",
        "status": "appProperties.status",
        "superseded_by": "appProperties.supersededBy",
    }
    assert doc.properties == {
        "mimeType": DOC,
        "description": "How to start",
        "createdTime": "2025-01-01T00:00:00.000Z",
        "appProperties.lastReviewed": "2026-01-15",
        "appProperties.reviewIntervalDays": "90",
        "appProperties.status": "Deprecated",
        "appProperties.supersededBy": "dNewGuide",
        "properties.team": "platform",
    }


def test_acl_from_every_permission_type_skipping_deleted(settings: Settings, tmp_path: Path) -> None:
    doc = by_id(DriveIngestor(settings).read(good_export(tmp_path / "x")))["gdrive:dOnb"]
    assert doc.acl == [
        "domain:acme.com",
        "everyone",
        "group:eng-team@acme.com",
        "user:alice@acme.com",
        "user:carol@acme.com",
    ]


def test_shared_drive_file_without_owners_or_permissions(settings: Settings, tmp_path: Path) -> None:
    doc = by_id(DriveIngestor(settings).read(good_export(tmp_path / "x")))["gdrive:dPdf"]
    assert doc.owner is None
    assert doc.acl == []  # unknown access stays empty: kb.lifecycle.rules decides
    assert doc.last_edited_by == "Dana Ops"  # not in the people table: the name as exported
    assert doc.last_edited_at == datetime(2026, 9, 30, 20, 15, tzinfo=UTC)
    assert doc.last_reviewed_at == datetime(2026, 8, 31, 22, 0, tzinfo=UTC)
    assert doc.resolution["last_reviewed_at"] == "labels.lblReview.62BB395EC6"
    assert doc.properties["labels.lblReview.62BB395EC6"] == "2026-09-01"
    assert doc.properties["driveId"] == "0ASharedDrive"
    assert "owner" not in doc.resolution and "acl" not in doc.resolution


def test_supersedes_ids_and_urls(settings: Settings, tmp_path: Path) -> None:
    doc = by_id(DriveIngestor(settings).read(good_export(tmp_path / "x")))["gdrive:dPpt"]
    assert doc.supersedes == ["gdrive:dOldA", "gdrive:dOldB12345"]
    assert doc.status == "active" and doc.superseded_by is None


def test_editor_display_name_resolved_through_people(tmp_path: Path) -> None:
    settings = settings_from_dict({"people": [{"name": "Dana Ops", "email": "Dana@Acme.com"}]})
    doc = by_id(DriveIngestor(settings).read(good_export(tmp_path / "x")))["gdrive:dPdf"]
    assert doc.last_edited_by == "dana@acme.com"
    assert doc.resolution["last_edited_by"] == "lastModifyingUser.displayName"


def test_configured_keys_are_used(tmp_path: Path) -> None:
    settings = settings_from_dict({"drive": {"review_date_keys": ["verifiedOn"], "status_keys": ["state"]}})
    root = write_export(
        tmp_path / "x",
        [
            entry(
                "d1",
                "a.txt",
                "text/plain",
                "files/d1/a.txt",
                properties={
                    "verifiedOn": "2026-05-02T10:00:00Z",
                    "state": "ARCHIVED",
                    "lastReviewed": "2020-01-01",
                },
            )
        ],
        {"files/d1/a.txt": b"hello"},
    )
    doc = DriveIngestor(settings).read(root).documents[0]
    assert doc.last_reviewed_at == datetime(2026, 5, 2, 10, 0, tzinfo=UTC)
    assert doc.status == "archived"
    assert doc.resolution["status"] == "properties.state"


def test_trashed_file_is_not_returned_nor_an_issue(settings: Settings, tmp_path: Path) -> None:
    batch = DriveIngestor(settings).read(good_export(tmp_path / "x"))
    assert "gdrive:dTrash" not in by_id(batch)
    assert all(i.doc_id != "gdrive:dTrash" for i in batch.issues)


def test_found_one_level_down(settings: Settings, tmp_path: Path) -> None:
    good_export(tmp_path / "download" / "drive_export")
    assert len(DriveIngestor(settings).read(tmp_path / "download").documents) == 8


# --- bad input ----------------------------------------------------------------------------------


def one_good_plus(
    tmp_path: Path,
    bad: list[dict[str, Any] | str],
    files: dict[str, bytes] | None = None,
    info: str | None = None,
) -> Path:
    lines = [entry("ok", "fine.txt", "text/plain", "files/ok/fine.txt"), *bad]
    files = {"files/ok/fine.txt": b"still read", **(files or {})}
    return write_export(tmp_path / "export", lines, files, info)


def issues_of(batch: SourceBatch) -> list[tuple[str, str, str]]:
    return [(i.input, i.severity, i.reason) for i in batch.issues]


def test_missing_manifest_is_fatal(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "export" / "files").mkdir(parents=True)
    batch = DriveIngestor(settings).read(tmp_path / "export")
    assert (batch.documents, batch.complete) == ([], False)
    assert issues_of(batch) == [
        (
            str(tmp_path / "export" / "manifest.jsonl"),
            "error",
            "no manifest.jsonl in the export folder, and not a Google Takeout "
            "(no Takeout/Drive/ folder or takeout-*.zip)",
        )
    ]


def test_missing_export_is_fatal(settings: Settings, tmp_path: Path) -> None:
    batch = DriveIngestor(settings).read(tmp_path / "nope")
    assert (batch.documents, batch.complete) == ([], False)
    assert issues_of(batch) == [(str(tmp_path / "nope"), "error", "export not found")]


def test_malformed_line_and_line_without_id(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(tmp_path, ['{"id": "broken", ', '{"name": "no id.txt"}', "[1, 2]"])
    batch = DriveIngestor(settings).read(root)
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is False
    assert [(i.input, i.severity) for i in batch.issues] == [
        ("manifest.jsonl:2", "error"),
        ("manifest.jsonl:3", "error"),
        ("manifest.jsonl:4", "error"),
    ]
    assert batch.issues[0].reason.startswith("malformed JSON")
    assert batch.issues[1].reason == "line has no file id"


@pytest.mark.parametrize(
    "local",
    ["/etc/passwd", "../secret.txt", "files/x/../../../secret.txt", "..\\secret.txt", "C:/Windows/win.ini"],
)
def test_paths_escaping_the_root_are_never_read(settings: Settings, tmp_path: Path, local: str) -> None:
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    root = one_good_plus(tmp_path, [entry("evil", "e.txt", "text/plain", local)])
    batch = DriveIngestor(settings).read(root)
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is False
    [issue] = batch.issues
    assert (issue.input, issue.doc_id, issue.severity) == (local, "gdrive:evil", "error")
    assert "escapes the export root" in issue.reason


def test_symlink_outside_the_root_is_never_read(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    root = one_good_plus(tmp_path, [entry("evil", "e.txt", "text/plain", "files/evil/e.txt")])
    (root / "files" / "evil").mkdir()
    (root / "files" / "evil" / "e.txt").symlink_to(tmp_path / "secret.txt")
    batch = DriveIngestor(settings).read(root)
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert issues_of(batch) == [
        ("files/evil/e.txt", "error", "symlink resolves outside the export root; not read")
    ]


def test_missing_and_unreadable_files(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(
        tmp_path,
        [
            entry("gone", "g.txt", "text/plain", "files/gone/g.txt"),
            entry("dir", "d.txt", "text/plain", "files/dir/d.txt"),
        ],
    )
    (root / "files" / "dir" / "d.txt").mkdir(parents=True)
    batch = DriveIngestor(settings).read(root)
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is False
    assert issues_of(batch) == [
        ("files/gone/g.txt", "error", "file missing from the export"),
        ("files/dir/d.txt", "error", "not a regular file; not read"),
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_file(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(
        tmp_path,
        [entry("locked", "l.txt", "text/plain", "files/locked/l.txt")],
        {"files/locked/l.txt": b"locked"},
    )
    (root / "files" / "locked" / "l.txt").chmod(0)
    batch = DriveIngestor(settings).read(root)
    assert issues_of(batch) == [("files/locked/l.txt", "error", "cannot read file: Permission denied")]


def test_file_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    settings = settings_from_dict({"ingest": {"max_entry_bytes": 1000}})
    root = one_good_plus(
        tmp_path, [entry("big", "b.txt", "text/plain", "files/big/b.txt")], {"files/big/b.txt": b"x" * 1001}
    )
    batch = DriveIngestor(settings).read(root)
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert issues_of(batch) == [
        ("files/big/b.txt", "error", "file too large (1001 bytes > limit 1000); not read")
    ]
    assert batch.complete is False


def test_corrupt_office_files(settings: Settings, tmp_path: Path) -> None:
    bad = [entry(f"c{ext}", f"c.{ext}", DOC, f"files/c{ext}/c.{ext}") for ext in ("docx", "pdf", "xlsx")]
    files = {f"files/c{ext}/c.{ext}": b"garbage, not an office file" for ext in ("docx", "pdf", "xlsx")}
    files["files/cpdf/c.pdf"] = pdf_bytes()[:200]  # truncated
    batch = DriveIngestor(settings).read(one_good_plus(tmp_path, bad, files))
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is False
    assert [(i.input, i.doc_id, i.severity) for i in batch.issues] == [
        ("files/cdocx/c.docx", "gdrive:cdocx", "error"),
        ("files/cpdf/c.pdf", "gdrive:cpdf", "error"),
        ("files/cxlsx/c.xlsx", "gdrive:cxlsx", "error"),
    ]
    assert batch.issues[0].reason.startswith("cannot read docx file")


def test_unparseable_dates_leave_fields_empty_with_warnings(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(
        tmp_path,
        [
            entry(
                "d1",
                "a.txt",
                "text/plain",
                "files/d1/a.txt",
                modifiedTime="yesterday",
                appProperties={"lastReviewed": "soon", "reviewIntervalDays": "often"},
            )
        ],
        {"files/d1/a.txt": b"text"},
    )
    batch = DriveIngestor(settings).read(root)
    doc = by_id(batch)["gdrive:d1"]
    assert (doc.last_edited_at, doc.last_reviewed_at, doc.review_interval_days) == (None, None, None)
    assert batch.complete is True
    assert issues_of(batch) == [
        ("files/d1/a.txt", "warning", "file d1: modifiedTime: unparseable date 'yesterday'"),
        ("files/d1/a.txt", "warning", "file d1: appProperties.lastReviewed: unparseable date 'soon'"),
        (
            "files/d1/a.txt",
            "warning",
            "file d1: appProperties.reviewIntervalDays: not a number of days 'often'",
        ),
    ]


def test_unknown_type_empty_text_and_unexportable_native(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(
        tmp_path,
        [
            entry("img", "photo.png", "image/png", "files/img/photo.png"),
            entry("empty", "empty.txt", "text/plain", "files/empty/empty.txt"),
            entry("form", "Survey", "application/vnd.google-apps.form", None),
        ],
        {"files/img/photo.png": b"\x89PNG", "files/empty/empty.txt": b"  \n"},
    )
    batch = DriveIngestor(settings).read(root)
    assert sorted(by_id(batch)) == ["gdrive:empty", "gdrive:ok"]
    assert batch.complete is True  # nothing that may hold text went unread
    assert issues_of(batch) == [
        ("files/img/photo.png", "warning", "unsupported file type (mimeType image/png); skipped"),
        ("files/empty/empty.txt", "warning", "file has no text"),
        (
            "manifest.jsonl:4 (id form)",
            "warning",
            "application/vnd.google-apps.form has no text export; skipped",
        ),
    ]


def test_document_without_local_file_makes_the_batch_incomplete(settings: Settings, tmp_path: Path) -> None:
    batch = DriveIngestor(settings).read(one_good_plus(tmp_path, [entry("d9", "Plan", DOC, None)]))
    assert issues_of(batch) == [
        ("manifest.jsonl:2 (id d9)", "error", "manifest line has no x_local_path (file was not exported)")
    ]
    assert batch.complete is False


def test_undecodable_text_file(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(
        tmp_path, [entry("l1", "l.txt", "text/plain", "files/l1/l.txt")], {"files/l1/l.txt": b"caf\xe9"}
    )
    batch = DriveIngestor(settings).read(root)
    assert issues_of(batch) == [("files/l1/l.txt", "error", "not valid UTF-8 text (byte 3)")]


def test_bad_export_info_is_a_warning(settings: Settings, tmp_path: Path) -> None:
    batch = DriveIngestor(settings).read(one_good_plus(tmp_path, [], info="{not json"))
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is True
    assert [(i.input, i.severity) for i in batch.issues] == [("export_info.json", "warning")]


def test_duplicate_id_keeps_the_first_line(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(tmp_path, [entry("ok", "other.txt", "text/plain", "x")])
    batch = DriveIngestor(settings).read(root)
    assert [(d.doc_id, d.title) for d in batch.documents] == [("gdrive:ok", "fine")]
    assert issues_of(batch) == [("manifest.jsonl:2", "warning", "duplicate file id ok; first line kept")]


# --- zip exports --------------------------------------------------------------------------------


def zip_folder(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                z.write(file, f"drive_export/{file.relative_to(folder).as_posix()}")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return target


def test_zip_of_the_export_reads_like_the_folder(settings: Settings, tmp_path: Path) -> None:
    folder = DriveIngestor(settings).read(good_export(tmp_path / "drive_export"))
    zipped = DriveIngestor(settings).read(zip_folder(tmp_path / "drive_export", tmp_path / "export.zip"))
    assert (zipped.complete, zipped.issues) == (True, [])
    assert [d.model_dump() for d in zipped.documents] == [d.model_dump() for d in folder.documents]


def test_zip_slip_entry_referenced_by_the_manifest_is_never_read(settings: Settings, tmp_path: Path) -> None:
    root = one_good_plus(tmp_path, [entry("evil", "e.txt", "text/plain", "../evil.txt")])
    batch = DriveIngestor(settings).read(zip_folder(root, tmp_path / "x.zip", {"../evil.txt": b"pwned"}))
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is False
    assert ("../evil.txt", "error", "entry path escapes the export (zip-slip); not read") in issues_of(batch)
    assert ("../evil.txt", "error", "path with '..' escapes the export root; not read") in issues_of(batch)


def test_oversized_zip_entry_is_refused(tmp_path: Path) -> None:
    settings = settings_from_dict({"ingest": {"max_entry_bytes": 1000}})
    root = one_good_plus(
        tmp_path, [entry("big", "b.txt", "text/plain", "files/big/b.txt")], {"files/big/b.txt": b"x" * 5000}
    )
    batch = DriveIngestor(settings).read(zip_folder(root, tmp_path / "x.zip"))
    assert [d.doc_id for d in batch.documents] == ["gdrive:ok"]
    assert batch.complete is False
    assert (
        "files/big/b.txt",
        "error",
        "refused by the archive reader (unsafe or too large); not read",
    ) in issues_of(batch)


def test_corrupt_zip_is_fatal(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "export.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    batch = DriveIngestor(settings).read(bad)
    assert (batch.documents, batch.complete) == ([], False)
    assert [i.input for i in batch.issues] == ["export.zip", "manifest.jsonl"]
