"""Google Takeout of Drive (the export Google offers every user) -> ``SourceBatch``.

A Takeout is files only: ``Takeout/Drive/<folders>/<file>`` in one zip, in several
``takeout-<time>-NNN.zip`` parts, or unpacked; Google Docs, Sheets and Slides arrive as docx, xlsx
and pptx. There are no file ids, owners, permissions or labels, so each document gets
``gdrive:takeout-<hash of its path under Drive/>`` (stable across Takeouts and across how the
parts were split), its edit time from the file's own timestamp, and nothing else: owner, review
interval and readers come from ``[[rules]]`` (``kb.lifecycle.rules``), and the batch carries a
warning saying so. One unreadable file is an issue naming it and the batch turns incomplete, so
nothing stored is removed for a file that merely failed to read.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

from ingestors.archive import Entry, ExportArchive
from ingestors.extract import EXTENSIONS, extract_text, kind_of
from kb.config import Settings
from kb.errors import IngestError
from kb.records import Document, IngestIssue, SourceBatch

TAKEOUT_ZIP = re.compile(r"^takeout-.*\.zip$", re.IGNORECASE)
_ROOTS = ("Takeout/Drive/", "Drive/")
NO_PERMISSIONS = (
    "Google Takeout carries no owners, permissions or review dates: owner, review interval and "
    "readers come from [[rules]] (source 'gdrive'), else review.default_readers"
)


def takeout_id(rel: str) -> str:
    """``gdrive:takeout-<24 hex>`` from the file's path under ``Drive/``."""
    return "gdrive:takeout-" + hashlib.sha256(rel.encode()).hexdigest()[:24]


def _zip_is_takeout(path: Path, manifest: str) -> bool:
    if TAKEOUT_ZIP.match(path.name):
        return True
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return not any(n.rsplit("/", 1)[-1] == manifest for n in names) and any(
        n.startswith(_ROOTS) for n in names
    )


def find_takeout(path: Path, manifest: str) -> list[Path] | None:
    """The Takeout archives or folder at ``path``; None when ``path`` is not a Takeout.

    A folder holding ``manifest.jsonl`` (directly or one level down) is a manifest export, never a
    Takeout.
    """
    if path.is_file():
        return [path] if path.suffix.lower() == ".zip" and _zip_is_takeout(path, manifest) else None
    if not path.is_dir() or (path / manifest).exists() or any(path.glob(f"*/{manifest}")):
        return None
    parts = sorted(p for p in path.iterdir() if p.is_file() and TAKEOUT_ZIP.match(p.name))
    if parts:
        return parts
    if (path / "Takeout" / "Drive").is_dir() or (path / "Drive").is_dir():
        return [path]
    if path.name == "Drive" and path.parent.name == "Takeout":
        return [path]
    return None


def _root_prefix(entries: list[Entry]) -> str:
    for root in _ROOTS:
        if any(e.path.startswith(root) for e in entries):
            return root
    return ""


def _title(name: str) -> str:
    dot = name.rfind(".")
    return name[:dot] if dot > 0 and name[dot:].lower() in EXTENSIONS else name


class TakeoutReader:
    """Reads one Takeout (the list ``find_takeout`` returned) into a ``gdrive`` batch."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def read(self, path: Path, archives: list[Path]) -> SourceBatch:
        # A Takeout names no folder ids: every Takeout is "a Takeout of My Drive" (kb.ingest.removal
        # refuses one in place of a manifest export unless --replace-identity).
        batch = SourceBatch(source="gdrive", complete=True, identity=["takeout:my-drive"])
        batch.issues.append(IngestIssue(input=str(path), reason=NO_PERMISSIONS, severity="warning"))
        seen: set[str] = set()
        for archive_path in archives:
            try:
                archive = ExportArchive(archive_path, self._settings.ingest)
            except IngestError as err:
                batch.issues.append(IngestIssue(input=err.subject or str(archive_path), reason=err.message))
                batch.complete = False
                continue
            with archive:
                batch.issues.extend(archive.issues)
                self._read_archive(archive, batch, seen)
                batch.complete = batch.complete and archive.complete
        return batch

    def _read_archive(self, archive: ExportArchive, batch: SourceBatch, seen: set[str]) -> None:
        prefix = _root_prefix(archive.entries)
        if any(p.startswith(prefix) for p in archive.rejected):
            batch.complete = False  # a refused file under Drive/ may be a document
        for entry in archive.entries:
            if not entry.path.startswith(prefix):
                continue  # archive_browser.html and other products' folders
            rel = entry.path[len(prefix) :]
            if rel in seen:
                batch.issues.append(
                    IngestIssue(input=entry.label, reason="file listed twice; first kept", severity="warning")
                )
                continue
            seen.add(rel)
            doc = self._document(archive, entry, rel, batch)
            if doc is not None:
                batch.documents.append(doc)

    def _document(
        self, archive: ExportArchive, entry: Entry, rel: str, batch: SourceBatch
    ) -> Document | None:
        doc_id = takeout_id(rel)

        def issue(reason: str, *, warning: bool = False) -> None:
            batch.issues.append(
                IngestIssue(
                    input=entry.label,
                    reason=reason,
                    doc_id=doc_id,
                    severity="warning" if warning else "error",
                )
            )
            if not warning:
                batch.complete = False

        if kind_of(entry.name, None) is None:
            issue(f"unsupported file type '{Path(entry.name).suffix or entry.name}'; skipped", warning=True)
            return None
        try:
            extracted = extract_text(
                archive.read(entry), entry.name, max_bytes=self._settings.ingest.max_entry_bytes
            )
        except IngestError as err:
            issue(err.message)
            return None
        for note in extracted.warnings:
            issue(note, warning=True)
        if not extracted.text:
            issue("file has no text", warning=True)
        modified = entry.modified
        doc = Document(
            doc_id=doc_id,
            source="gdrive",
            title=_title(entry.name),
            path=rel.split("/")[:-1],
            last_edited_at=modified,
            text=extracted.text,
            properties={"takeout_path": rel},
            source_path=entry.label,
            resolution={"last_edited_at": "file time in the Takeout"} if modified else {},
        )
        doc.content_hash = doc.compute_content_hash()
        return doc
