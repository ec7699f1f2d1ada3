"""Issue 11: a zip bomb inside an Office file (a small docx whose ``word/document.xml`` unpacks to
hundreds of MB) is refused by name before python-docx opens it, and the rest of the export is
ingested. The export is read in a child process that reports its own peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ingestors.extract import extract_text
from kb.errors import IngestError
from tests.ingestors.test_extract import docx_bytes

pytestmark = pytest.mark.slow

INSIDE_MB = 200
RSS_BOUND_MB = 60
"""Stated bound: reading the export raises the reader's peak RSS by less than this (before the
fix, python-docx grew it by 763 MB for a 0.55 MB docx holding 200 MB)."""

_CHILD = """
import json, resource, sys
from pathlib import Path
from ingestors.drive import DriveIngestor
from kb.config import settings_from_dict
settings = settings_from_dict({"data": {"dir": sys.argv[2]}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
batch = DriveIngestor(settings).read(Path(sys.argv[1]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "after_kb": after, "docs": [d.title for d in batch.documents],
                  "issues": [[i.input, i.reason] for i in batch.issues]}))
"""

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)


def docx_bomb(path: Path, inside_mb: int) -> None:
    """A valid docx: one paragraph of ``inside_mb`` MB of text in runs (python-docx reads it)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as doc:
            doc.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">')
            doc.write(b"<w:body><w:p><w:r><w:t>")
            chunk = (b"</w:t></w:r><w:r><w:t>" + b"a" * 1000) * 1000
            for _ in range(inside_mb):
                doc.write(chunk)
            doc.write(b"</w:t></w:r></w:p></w:body></w:document>")


def _export(folder: Path) -> None:
    (folder / "files").mkdir(parents=True)
    docx_bomb(folder / "files" / "bomb.docx", INSIDE_MB)
    (folder / "files" / "notes.md").write_text("# Notes\n\nStill ingested.\n")
    lines = [
        {"id": "d1", "name": "Ops", "mimeType": "application/vnd.google-apps.folder", "parents": ["root"]},
        {"id": "b1", "name": "bomb.docx", "parents": ["d1"], "x_local_path": "files/bomb.docx"},
        {"id": "n1", "name": "notes.md", "parents": ["d1"], "x_local_path": "files/notes.md"},
    ]
    for line in lines[1:]:
        line |= {"mimeType": "text/markdown", "modifiedTime": "2026-10-01T10:00:00Z"}
    lines[1]["mimeType"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    (folder / "manifest.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")


def test_docx_bomb_is_refused_by_name_in_bounded_memory(tmp_path: Path) -> None:
    export = tmp_path / "drive"
    _export(export)
    assert (export / "files" / "bomb.docx").stat().st_size < 2 * (1 << 20)  # ~1 MB holding 200 MB
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(export), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    grown_mb = (result["after_kb"] - result["before_kb"]) / 1024
    assert grown_mb < RSS_BOUND_MB, f"peak RSS grew by {grown_mb:.0f} MB reading a {INSIDE_MB} MB docx"
    assert result["docs"] == ["notes"], result  # the rest of the export goes on
    [(where, why)] = result["issues"]
    assert where.endswith("bomb.docx"), where
    with zipfile.ZipFile(export / "files" / "bomb.docx") as zf:
        declared = sum(i.file_size for i in zf.infolist())
    assert declared > INSIDE_MB * 1_000_000
    assert f"unpacks to {declared} bytes, over ingest.max_entry_bytes (50000000)" in why, why


def test_the_compression_ratio_is_capped_when_the_size_cap_is_raised(tmp_path: Path) -> None:
    docx_bomb(tmp_path / "bomb.docx", 12)  # 12 MB inside: under a raised cap, but ~250:1
    data = (tmp_path / "bomb.docx").read_bytes()
    with pytest.raises(IngestError, match=r"bomb\.docx.*over 100:1"):
        extract_text(data, "bomb.docx", max_bytes=1 << 30)
    with pytest.raises(IngestError, match=r"bomb\.docx.*over ingest\.max_entry_bytes \(5000000\)"):
        extract_text(data, "bomb.docx", max_bytes=5_000_000)
    assert extract_text(docx_bytes(), "guide.docx", max_bytes=1 << 20).text  # real files pass
    for other in ("deck.pptx", "sheet.xlsx"):  # the same zip directory check, before any parser
        with pytest.raises(IngestError, match=rf"{other.replace('.', '[.]')}.*over ingest\.max_entry_bytes"):
            extract_text(data, other, max_bytes=5_000_000)
