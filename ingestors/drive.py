"""Google Drive export ingestor: ``drive_export/`` (manifest.jsonl + files/) -> ``SourceBatch``.

The export contract is /work/shared/reference/drive-export.md: ``export_info.json``, one Drive v3
File resource per manifest line (plus ``x_local_path``) and ``files/<fileId>/<name>.<ext>``.
Everything is keyed by file id (Drive allows duplicate names). Folders give the breadcrumb and
are not documents; trashed files are left out. One bad line or file becomes an ``IngestIssue``
and the rest goes on; ``complete`` turns False when something that may hold a document was
unreadable, so the pipeline does not delete documents it merely failed to read.
"""

from __future__ import annotations

import json
from datetime import UTC, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingestors.drive_fields import FOLDER_MIME, DriveMeta, read_meta
from ingestors.drive_source import ExportSource, open_export
from ingestors.extract import EXTENSIONS, extract_text, kind_of
from ingestors.takeout import TakeoutReader, find_takeout
from kb.config import Settings
from kb.errors import IngestError
from kb.identity import People
from kb.records import Document, IngestIssue, SourceBatch

MANIFEST = "manifest.jsonl"
EXPORT_INFO = "export_info.json"
GOOGLE_APPS = "application/vnd.google-apps."
# Google-native types that Drive exports as documents; other native types (forms, sites, maps,
# drawings, shortcuts) have no text export, so a missing local file for them is expected.
EXPORTABLE_NATIVE = {f"{GOOGLE_APPS}{t}" for t in ("document", "spreadsheet", "presentation")}

Entry = tuple[int, dict[str, Any]]
Severity = Literal["error", "warning"]


class DriveIngestor:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._people = People(settings.people)

    def read(self, path: Path) -> SourceBatch:
        """Read an export folder (or a zip of it), or a Google Takeout (``ingestors.takeout``).
        Never raises for bad input: see ``batch.issues``."""
        if (takeout := find_takeout(Path(path), MANIFEST)) is not None:
            return TakeoutReader(self._settings).read(Path(path), takeout)
        batch = SourceBatch(source="gdrive", complete=True)
        try:
            source = open_export(Path(path), MANIFEST, self._settings.ingest)
        except IngestError as err:
            return _fatal(batch, err)
        try:
            self._read_source(source, batch)
        finally:
            source.close()
        return batch

    def _read_source(self, source: ExportSource, batch: SourceBatch) -> None:
        batch.issues.extend(source.issues)
        batch.complete = batch.complete and source.complete
        tz = _export_timezone(source, batch)
        try:
            raw = source.read_bytes(MANIFEST, self._settings.ingest.max_total_bytes)
        except IngestError as err:
            _fatal(batch, err)
            return
        entries = _parse_manifest(raw, batch)
        batch.identity = _export_identity(source, entries)
        folders = {e["id"]: e for _, e in entries if e.get("mimeType") == FOLDER_MIME}
        for lineno, entry in entries:
            if entry.get("mimeType") == FOLDER_MIME or entry.get("trashed") is True:
                continue
            doc = self._document(source, lineno, entry, folders, tz, batch)
            if doc is not None:
                batch.documents.append(doc)

    def _document(
        self,
        source: ExportSource,
        lineno: int,
        entry: dict[str, Any],
        folders: dict[str, dict[str, Any]],
        tz: tzinfo,
        batch: SourceBatch,
    ) -> Document | None:
        file_id = str(entry["id"])
        doc_id = f"gdrive:{file_id}"
        mime = str(entry.get("mimeType") or "")
        local = entry.get("x_local_path")
        label = local if isinstance(local, str) and local else f"{MANIFEST}:{lineno} (id {file_id})"

        def issue(reason: str, severity: Severity = "error", incomplete: bool = True) -> None:
            batch.issues.append(IngestIssue(input=label, reason=reason, doc_id=doc_id, severity=severity))
            if incomplete:
                batch.complete = False

        if not isinstance(local, str) or not local:
            if isinstance(entry.get("x_skipped"), str):  # left out on purpose by the exporter
                issue(f"not exported: {entry['x_skipped']}", "warning", incomplete=False)
            elif mime.startswith(GOOGLE_APPS) and mime not in EXPORTABLE_NATIVE:
                issue(f"{mime} has no text export; skipped", "warning", incomplete=False)
            else:
                issue("manifest line has no x_local_path (file was not exported)")
            return None
        if kind_of(PurePosixPath(local).name, mime) is None:
            issue(
                f"unsupported file type (mimeType {mime or 'unknown'}); skipped", "warning", incomplete=False
            )
            return None
        try:
            data = source.read_bytes(local, self._settings.ingest.max_entry_bytes)
            extracted = extract_text(
                data, PurePosixPath(local).name, mime, max_bytes=self._settings.ingest.max_entry_bytes
            )
        except IngestError as err:
            issue(err.message)
            return None
        for note in extracted.warnings:
            issue(note, "warning", incomplete=False)
        if not extracted.text:
            issue("file has no text", "warning", incomplete=False)
        meta = read_meta(entry, self._settings.drive, self._people, tz)
        for note in meta.warnings:
            issue(f"file {file_id}: {note}", "warning", incomplete=False)
        return build_document(entry, doc_id, local, extracted.text, meta, folders)


def build_document(
    entry: dict[str, Any],
    doc_id: str,
    local: str,
    text: str,
    meta: DriveMeta,
    folders: dict[str, dict[str, Any]],
) -> Document:
    doc = Document(
        doc_id=doc_id,
        source="gdrive",
        title=_title(entry, local),
        path=_breadcrumb(entry, folders),
        url=str(entry["webViewLink"]) if entry.get("webViewLink") else None,
        owner=meta.owner,
        last_edited_at=meta.last_edited_at,
        last_edited_by=meta.last_edited_by,
        last_reviewed_at=meta.last_reviewed_at,
        review_interval_days=meta.review_interval_days,
        status=meta.status,
        supersedes=meta.supersedes,
        superseded_by=meta.superseded_by,
        acl=meta.acl,
        text=text,
        properties=meta.properties,
        source_path=local,
        resolution=meta.resolution,
    )
    doc.content_hash = doc.compute_content_hash()
    return doc


def _title(entry: dict[str, Any], local: str) -> str:
    """``name`` without a document extension ("Plan v1.2" keeps its ".2"); falls back to the file."""
    name = str(entry.get("name") or "").strip() or PurePosixPath(local).stem or str(entry["id"])
    dot = name.rfind(".")
    if dot > 0 and name[dot:].lower() in EXTENSIONS:
        return name[:dot]
    return name


def _breadcrumb(entry: dict[str, Any], folders: dict[str, dict[str, Any]]) -> list[str]:
    """Parent folder names from the top down; stops at a folder missing from the manifest."""
    names: list[str] = []
    seen: set[str] = set()
    parents = entry.get("parents")
    parent = parents[0] if isinstance(parents, list) and parents else None
    while isinstance(parent, str) and parent in folders and parent not in seen:
        seen.add(parent)
        folder = folders[parent]
        names.append(str(folder.get("name") or parent))
        grand = folder.get("parents")
        parent = grand[0] if isinstance(grand, list) and grand else None
    return names[::-1]


def _parse_manifest(raw: bytes, batch: SourceBatch) -> list[Entry]:
    """Valid, de-duplicated entries; each bad line is an issue naming its line number."""
    entries: list[Entry] = []
    seen: set[str] = set()

    def bad(lineno: int, reason: str, severity: Severity = "error") -> None:
        batch.issues.append(IngestIssue(input=f"{MANIFEST}:{lineno}", reason=reason, severity=severity))
        if severity == "error":
            batch.complete = False

    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            bad(lineno, f"malformed JSON: {err}")
            continue
        if not isinstance(entry, dict):
            bad(lineno, "not a JSON object")
        elif not isinstance(entry.get("id"), str) or not entry["id"].strip():
            bad(lineno, "line has no file id")
        elif entry["id"] in seen:
            bad(lineno, f"duplicate file id {entry['id']}; first line kept", "warning")
        else:
            seen.add(entry["id"])
            entries.append((lineno, entry))
    return entries


def _export_timezone(source: ExportSource, batch: SourceBatch) -> tzinfo:
    """The exporter's time zone from export_info.json (for date-only values); UTC if unknown."""
    if not source.exists(EXPORT_INFO):
        return UTC
    try:
        info = json.loads(source.read_bytes(EXPORT_INFO, 1_000_000))
        name = info.get("timezone") if isinstance(info, dict) else None
        return ZoneInfo(name) if isinstance(name, str) and name else UTC
    except (IngestError, json.JSONDecodeError, UnicodeDecodeError, ZoneInfoNotFoundError, ValueError) as err:
        batch.issues.append(IngestIssue(input=EXPORT_INFO, reason=f"ignored: {err}", severity="warning"))
        return UTC


def _export_identity(source: ExportSource, entries: list[Entry]) -> list[str]:
    """What this is an export of: ``root_folder_id`` from export_info.json, else the folders the
    manifest's files hang from without being listed themselves (the exported roots)."""
    if source.exists(EXPORT_INFO):
        try:
            info = json.loads(source.read_bytes(EXPORT_INFO, 1_000_000))
        except (IngestError, json.JSONDecodeError, UnicodeDecodeError):
            info = None  # reported by _export_timezone
        root = info.get("root_folder_id") if isinstance(info, dict) else None
        if isinstance(root, str) and root.strip():
            return [root.strip()]
    listed = {str(e["id"]) for _, e in entries}
    roots: set[str] = set()
    for _, e in entries:
        parents = e.get("parents")
        if isinstance(parents, list):
            roots.update(p for p in parents if isinstance(p, str) and p and p not in listed)
        elif e.get("mimeType") == FOLDER_MIME:
            roots.add(str(e["id"]))  # a listed folder without parents is a root itself
    return sorted(roots)


def _fatal(batch: SourceBatch, err: IngestError) -> SourceBatch:
    batch.issues.append(IngestIssue(input=err.subject or MANIFEST, reason=err.message))
    batch.complete = False
    return batch
