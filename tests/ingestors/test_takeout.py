"""``kb ingest drive`` on a Google Takeout: folder, one zip, several takeout-*.zip parts."""

from __future__ import annotations

import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestors.drive import DriveIngestor
from ingestors.takeout import NO_PERMISSIONS, takeout_id
from kb.config import Settings, settings_from_dict
from kb.identity import People
from kb.lifecycle.rules import resolve
from tests.ingestors.test_extract import docx_bytes, pdf_bytes, xlsx_bytes

EDITED = datetime(2026, 10, 5, 14, 30, tzinfo=UTC)
# What a Takeout of Drive holds: Docs/Sheets exported to docx/xlsx, uploaded files as they are,
# an archive browser page outside Drive/, and a file type nothing reads.
FILES: dict[str, bytes] = {
    "Takeout/archive_browser.html": b"<html><body>Your archive</body></html>",
    "Takeout/Drive/Engineering/Runbooks/Onboarding Guide.docx": docx_bytes(),
    "Takeout/Drive/Engineering/Vendors.xlsx": xlsx_bytes(),
    "Takeout/Drive/Incident Runbook.pdf": pdf_bytes(),
    "Takeout/Drive/Engineering/diagram.png": b"\x89PNG\r\n\x1a\n",
}


def write_folder(root: Path) -> Path:
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        os.utime(root / rel, (EDITED.timestamp(), EDITED.timestamp()))
    return root


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in files.items():
            zf.writestr(zipfile.ZipInfo(rel, date_time=EDITED.timetuple()[:6]), data)
    return path


def by_title(settings: Settings, path: Path) -> dict[str, object]:
    batch = DriveIngestor(settings).read(path)
    return {d.title: d for d in batch.documents}


def test_takeout_folder_gives_one_document_per_readable_file(settings: Settings, tmp_path: Path) -> None:
    root = write_folder(tmp_path / "takeout")
    batch = DriveIngestor(settings).read(root)
    docs = {d.title: d for d in batch.documents}
    assert sorted(docs) == ["Incident Runbook", "Onboarding Guide", "Vendors"]
    guide = docs["Onboarding Guide"]
    assert guide.doc_id == takeout_id("Engineering/Runbooks/Onboarding Guide.docx")
    assert guide.source == "gdrive"
    assert guide.path == ["Engineering", "Runbooks"]
    assert "Install the VPN client first." in guide.text
    assert guide.last_edited_at == EDITED
    assert guide.resolution == {"last_edited_at": "file time in the Takeout"}
    assert (guide.owner, guide.acl, guide.url) == (None, [], None)
    assert "Vendor 0" in docs["Vendors"].text
    assert batch.complete is True
    reasons = [(i.input, i.severity, i.reason) for i in batch.issues]
    assert (str(root), "warning", NO_PERMISSIONS) in reasons
    assert (
        "Takeout/Drive/Engineering/diagram.png",
        "warning",
        "unsupported file type '.png'; skipped",
    ) in reasons
    assert len(reasons) == 2


def test_takeout_zip_and_split_parts_give_the_same_documents(settings: Settings, tmp_path: Path) -> None:
    one = write_zip(tmp_path / "takeout-20261201T101010Z-001.zip", FILES)
    items = list(FILES.items())
    parts = tmp_path / "parts"
    parts.mkdir()
    write_zip(parts / "takeout-20261201T101010Z-001.zip", dict(items[:2]))
    write_zip(parts / "takeout-20261201T101010Z-002.zip", dict(items[2:]))
    folder = write_folder(tmp_path / "unpacked")

    def summary(path: Path) -> list[tuple[str, str, list[str], str]]:
        batch = DriveIngestor(settings).read(path)
        assert batch.complete
        return sorted((d.doc_id, d.title, d.path, d.content_hash) for d in batch.documents)

    assert summary(one) == summary(parts) == summary(folder)
    assert len(summary(one)) == 3


def test_zip_with_any_name_is_recognised_by_its_takeout_drive_folder(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_zip(tmp_path / "my-drive-backup.zip", FILES)
    assert sorted(by_title(settings, path)) == ["Incident Runbook", "Onboarding Guide", "Vendors"]


def test_rules_give_owner_interval_and_readers(tmp_path: Path) -> None:
    settings = settings_from_dict(
        {
            "rules": [
                {
                    "source": "gdrive",
                    "match": "Engineering/**",
                    "owner": "eng-docs@acme.com",
                    "review_interval_days": 90,
                    "readers": ["group:engineering@acme.com"],
                }
            ]
        }
    )
    docs = by_title(settings, write_folder(tmp_path / "t"))
    resolved = resolve(docs["Onboarding Guide"], settings, People(settings.people))  # type: ignore[arg-type]
    assert (resolved.owner, resolved.review_interval_days, resolved.acl) == (
        "eng-docs@acme.com",
        90,
        ["group:engineering@acme.com"],
    )
    outside = resolve(docs["Incident Runbook"], settings, People(settings.people))  # type: ignore[arg-type]
    assert outside.acl == settings.review.default_readers


def test_unreadable_file_is_named_and_makes_the_batch_incomplete(settings: Settings, tmp_path: Path) -> None:
    root = write_folder(tmp_path / "t")
    (root / "Takeout/Drive/Broken.docx").write_bytes(b"not a docx")
    batch = DriveIngestor(settings).read(root)
    assert batch.complete is False
    (bad,) = [i for i in batch.issues if i.severity == "error"]
    assert bad.input == "Takeout/Drive/Broken.docx"
    assert "docx" in bad.reason
    assert len(batch.documents) == 3


def test_corrupt_takeout_part_is_reported_and_the_rest_read(settings: Settings, tmp_path: Path) -> None:
    write_zip(tmp_path / "takeout-x-001.zip", dict(list(FILES.items())[:2]))
    (tmp_path / "takeout-x-002.zip").write_bytes(b"PK\x03\x04 truncated")
    batch = DriveIngestor(settings).read(tmp_path)
    assert batch.complete is False
    assert [d.title for d in batch.documents] == ["Onboarding Guide"]
    assert any(i.input == "takeout-x-002.zip" and "not a readable zip" in i.reason for i in batch.issues)


@pytest.mark.parametrize("layout", ["Takeout", "Takeout/Drive"])
def test_inner_folders_of_a_takeout_are_accepted(settings: Settings, tmp_path: Path, layout: str) -> None:
    root = write_folder(tmp_path / "t")
    docs = by_title(settings, root / layout)
    assert sorted(docs) == ["Incident Runbook", "Onboarding Guide", "Vendors"]
