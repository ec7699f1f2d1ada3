"""``kb pull drive``: Google Drive API v3 -> ``SourceBatch``, the same documents the manifest
ingestor makes from an export (``gdrive:<fileId>``, owners, permissions as the ACL, labels and
``appProperties`` read by ``ingestors.drive_fields``, folder breadcrumbs).

The first pull lists the configured shared drives and folders (with subfolders), exports Google
Docs/Sheets/Slides (docx/xlsx/pptx, or Docs as Markdown) and downloads other files, and stores a
``changes.getStartPageToken`` taken *before* listing. Later pulls read only ``changes.list`` from
that token: changed files are fetched again, removed or trashed ones dropped, everything else
comes from ``kb.store.pull_state``; a changed folder (renamed, moved) triggers a full listing so
breadcrumbs stay right. A token is advanced only when every change was applied; a listing or
change feed that fails after the retries leaves the batch incomplete (nothing removed). Every
file is redacted (``kb.redaction``) before it is stored or handed on; what was found travels in
``SourceBatch.findings`` and the stored row.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import Any

import httplib2
from googleapiclient.errors import HttpError

from kb.config import Settings, SourceConfig
from kb.errors import IngestError
from kb.identity import People
from kb.records import Document, IngestIssue, SourceBatch
from kb.redaction import redact, redact_rebuilt
from kb.store.pull_state import PullState

from .drive import GOOGLE_APPS, build_document
from .drive_client import EXPORTS, DriveClient, is_folder, judge, reasons
from .drive_fields import FOLDER_MIME, read_meta
from .extract import extract_text, kind_of
from .pull_common import Caller

Obj = dict[str, Any]
FAILURES = (HttpError, httplib2.HttpLib2Error, OSError)


@dataclass
class Listing:
    """Files and folders of the configured drives and folders; ``complete`` when nothing failed."""

    files: dict[str, Obj] = field(default_factory=dict)
    folders: dict[str, Obj] = field(default_factory=dict)
    complete: bool = True


def describe(err: Exception) -> str:
    if isinstance(err, HttpError):
        return f"HTTP {err.resp.status} {','.join(sorted(reasons(err)))}".strip()
    return type(err).__name__


def stamp(resource: Obj) -> str:
    return f"{resource.get('version', '')}|{resource.get('modifiedTime', '')}"


class DrivePuller:
    """A ``Reader`` for the ingest pipeline; ``path`` is ignored (the source is the API)."""

    def __init__(
        self,
        settings: Settings,
        source: SourceConfig,
        state: PullState | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``state`` may be None only to list and fetch (``ingestors.drive_export``), not to read."""
        self.settings, self.source, self.state = settings, source, state
        self.client = DriveClient(source, Caller(source, judge, sleep))
        self.people = People(settings.people)

    def _issue(
        self, batch: SourceBatch, what: str, reason: str, *, doc_id: str | None = None, error: bool = True
    ) -> None:
        batch.issues.append(
            IngestIssue(
                input=f"source '{self.source.name}': {what}",
                reason=reason,
                doc_id=doc_id,
                severity="error" if error else "warning",
            )
        )

    # -- listing ---------------------------------------------------------------------------------
    def list_all(self, batch: SourceBatch) -> Listing:
        out = Listing()
        for drive_id in self.source.drives:
            self._collect(
                out, batch, f"shared drive {drive_id}", functools.partial(self._drive, drive_id, out)
            )
        for folder_id in self.source.folders:
            self._collect(out, batch, f"folder {folder_id}", functools.partial(self._walk, folder_id, out))
        return out

    def _collect(self, out: Listing, batch: SourceBatch, what: str, run: Callable[[], Iterator[Obj]]) -> None:
        try:
            for res in run():
                if is_folder(res):
                    out.folders[res["id"]] = res
                elif not res.get("trashed"):
                    out.files[res["id"]] = res
        except FAILURES as err:
            out.complete = False
            self._issue(batch, what, f"listing failed ({describe(err)}); nothing is removed")

    def _drive(self, drive_id: str, out: Listing) -> Iterator[Obj]:
        # The shared drive is the top of its breadcrumbs, as a folder line in an export.
        out.folders[drive_id] = {
            "id": drive_id,
            "name": self.client.drive_name(drive_id),
            "mimeType": FOLDER_MIME,
        }
        yield from self.client.files_in_drive(drive_id)

    def _walk(self, folder_id: str, out: Listing) -> Iterator[Obj]:
        root = self.client.folder(folder_id)
        queue, seen = [root], {folder_id}
        yield root
        while queue:
            for child in self.client.children(queue.pop()["id"]):
                yield child
                if is_folder(child) and child["id"] not in seen:
                    seen.add(child["id"])
                    queue.append(child)

    # -- one file --------------------------------------------------------------------------------
    def fetch(self, res: Obj, batch: SourceBatch) -> tuple[bytes, str] | None:
        """The file's bytes and name, or None (an issue says why; ``batch.complete`` drops only
        when the file may still hold a document we failed to read)."""
        mime, file_id = str(res.get("mimeType", "")), str(res["id"])
        what = f"file {file_id} ({res.get('name', '')})"
        if mime.startswith(GOOGLE_APPS) and mime not in EXPORTS:
            self._issue(
                batch, what, f"{mime} has no text export; skipped", doc_id=f"gdrive:{file_id}", error=False
            )
            return None
        if int(res.get("size") or 0) > self.source.max_export_bytes:
            self._issue(
                batch,
                what,
                f"larger than max_export_bytes ({self.source.max_export_bytes}); skipped",
                error=False,
            )
            return None
        try:
            return self.client.content(res, self.source.export_format)
        except FAILURES as err:
            too_big = isinstance(err, HttpError) and "exportSizeLimitExceeded" in reasons(err)
            reason = (
                "too large for Drive's export (10 MB limit); skipped"
                if too_big
                else f"not read ({describe(err)})"
            )
            self._issue(batch, what, reason, doc_id=f"gdrive:{file_id}", error=not too_big)
            batch.complete = batch.complete and too_big
            return None

    def with_permissions(self, res: Obj, batch: SourceBatch) -> Obj:
        if "permissions" in res:
            return res
        try:
            return {**res, "permissions": self.client.permissions(str(res["id"]))}
        except FAILURES as err:
            self._issue(
                batch,
                f"file {res['id']}",
                f"permissions not read ({describe(err)}); readers from [[rules]]",
                error=False,
            )
            return res

    def document(
        self, res: Obj, folders: dict[str, Obj], batch: SourceBatch, text: str | None = None
    ) -> Document | None:
        """The document for one File resource; ``text`` reuses stored text instead of downloading."""
        file_id = str(res["id"])
        if text is None:
            got = self.fetch(res, batch)
            if got is None:
                return None
            data, name = got
            if kind_of(name, None) is None and kind_of(name, res.get("mimeType")) is None:
                self._issue(
                    batch,
                    f"file {file_id}",
                    f"unsupported file type ({res.get('mimeType')}); skipped",
                    error=False,
                )
                return None
            try:
                mime, cap = str(res.get("mimeType") or ""), self.settings.ingest.max_entry_bytes
                text = extract_text(data, name, mime, max_bytes=cap).text
            except IngestError as err:
                self._issue(batch, f"file {file_id} ({name})", err.message, doc_id=f"gdrive:{file_id}")
                batch.complete = False
                return None
        res = self.with_permissions(res, batch)
        meta = read_meta(res, self.settings.drive, self.people, UTC)
        local = f"{self.source.name}:{file_id}/{PurePosixPath(str(res.get('name') or file_id)).name}"
        return build_document(res, f"gdrive:{file_id}", local, text, meta, folders)

    # -- the run ---------------------------------------------------------------------------------
    @property
    def _state(self) -> PullState:
        assert self.state is not None, "a pull needs its PullState"
        return self.state

    def read(self, path: Path | None = None) -> SourceBatch:
        # What this is a pull of (kb.ingest.removal): the configured drives and folders, as an
        # export of one of them names its root_folder_id.
        identity = sorted({*self.source.drives, *self.source.folders})
        batch = SourceBatch(source="gdrive", complete=True, identity=identity)
        tokens = json.loads(self._state.cursor("page_tokens") or "null")
        if isinstance(tokens, dict) and self._incremental(tokens, batch):
            return batch
        batch = SourceBatch(source="gdrive", complete=True, identity=identity)
        self._full(batch)
        return batch

    def _start_tokens(self) -> dict[str, str]:
        tokens = {d: self.client.start_token(d) for d in self.source.drives}
        if self.source.folders:
            tokens["user"] = self.client.start_token(None)
        return tokens

    def _full(self, batch: SourceBatch) -> None:
        try:
            tokens: dict[str, str] | None = (
                self._start_tokens()
            )  # before listing: changes made meanwhile come next time
        except FAILURES as err:
            tokens = None
            self._issue(
                batch,
                "changes.getStartPageToken",
                f"failed ({describe(err)}); the next pull lists everything again",
                error=False,
            )
        listing = self.list_all(batch)
        batch.complete = batch.complete and listing.complete
        cached, stamps, kept = self._state.documents(), self._state.stamps(), self._state.findings()
        fresh: list[tuple[Document, str]] = []
        for file_id, res in listing.files.items():
            old = cached.get(f"gdrive:{file_id}")
            reuse = old.text if old is not None and stamps.get(old.doc_id) == stamp(res) else None
            doc = self.document(res, listing.folders, batch, reuse)
            if doc is not None:  # its text may be the stored one, redacted when it was fetched
                doc, batch.findings[doc.doc_id] = redact_rebuilt(doc, old, kept.get(doc.doc_id, ()))
                batch.documents.append(doc)
                fresh.append((doc, stamp(res)))
            elif old is not None:
                batch.documents.append(old)  # keep what we had rather than lose it to a failed read
                batch.findings[old.doc_id] = kept.get(old.doc_id, [])
        gone = set(cached) - {d.doc_id for d in batch.documents} if batch.complete else set()
        # Redacted before it is stored: the pull state is in the data directory (issue 11).
        self._state.save(fresh, findings=batch.findings, drop=gone)
        if batch.complete and tokens is not None:
            self._state.set_cursor("page_tokens", json.dumps(tokens))
            self._state.set_cursor("folders", json.dumps(redact_folders(listing.folders)))

    def _incremental(self, tokens: dict[str, str], batch: SourceBatch) -> bool:
        """Apply the changes feed; False when a full listing is needed instead."""
        folders: dict[str, Obj] = json.loads(self._state.cursor("folders") or "{}")
        changes: list[Obj] = []
        new_tokens: dict[str, str] = {}
        cached, kept = self._state.documents(), self._state.findings()
        try:
            for key, token in tokens.items():
                got, new_tokens[key] = self.client.changes(token, None if key == "user" else key)
                changes.extend(got)
        except FAILURES as err:
            batch.documents.extend(cached.values())
            batch.findings.update(kept)
            batch.complete = False
            self._issue(batch, "changes.list", f"changes feed failed ({describe(err)}); nothing is removed")
            return True
        if any(c.get("file") and is_folder(c["file"]) for c in changes):
            return False
        fresh: list[tuple[Document, str]] = []
        drop: set[str] = set()
        for change in changes:
            doc_id, res = f"gdrive:{change.get('fileId')}", change.get("file") or {}
            if change.get("removed") or res.get("trashed") or not self._in_scope(res, folders):
                drop.add(doc_id)
                continue
            doc = self.document(res, folders, batch)
            if doc is not None:  # breadcrumbs from the stored folder names, redacted before
                doc, kept[doc.doc_id] = redact_rebuilt(doc, cached.get(doc_id), kept.get(doc_id, ()))
                fresh.append((doc, stamp(res)))
                drop.discard(doc_id)
        docs = {**cached, **{d.doc_id: d for d, _ in fresh}}
        batch.documents.extend(d for i, d in docs.items() if i not in drop)
        batch.findings.update((i, kept[i]) for i in docs if i in kept and i not in drop)
        self._state.save(fresh, findings=kept, drop=drop)
        if batch.complete:
            self._state.set_cursor("page_tokens", json.dumps(new_tokens))
        return True

    def _in_scope(self, res: Obj, folders: dict[str, Obj]) -> bool:
        if res.get("driveId") in self.source.drives:
            return True
        wanted, seen = set(self.source.folders), set()
        queue = list(res.get("parents") or [])
        while queue:
            parent = queue.pop()
            if parent in wanted:
                return True
            if parent in folders and parent not in seen:
                seen.add(parent)
                queue.extend(folders[parent].get("parents") or [])
        return False


def redact_folders(folders: dict[str, Obj]) -> dict[str, Obj]:
    """The folders kept for the next pull's breadcrumbs, their names redacted (the pull state is
    in the data directory)."""
    return {i: {**f, "name": redact(str(f["name"]))[0]} if "name" in f else f for i, f in folders.items()}
