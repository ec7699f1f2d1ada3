"""Safe access to the files of a Drive export, whether a folder or a zip of that folder.

Manifest paths are untrusted: an absolute path, a ``..`` part or a symlink resolving outside the
export root is refused before anything is opened, and sizes are checked before reading, so a
manifest cannot make the ingestor read arbitrary files or load a huge one into memory.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Protocol

from ingestors.archive import Entry, ExportArchive
from kb.config import IngestSettings
from kb.errors import IngestError
from kb.records import IngestIssue

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class ExportSource(Protocol):
    """Files of one export, addressed by paths relative to the export root."""

    @property
    def issues(self) -> list[IngestIssue]:
        """Problems found while opening the export (e.g. a corrupt zip, unsafe zip entries)."""
        ...

    @property
    def complete(self) -> bool: ...

    def exists(self, rel: str) -> bool: ...

    def read_bytes(self, rel: str, limit: int) -> bytes:
        """The bytes; ``IngestError`` naming ``rel`` if unsafe, missing, over ``limit`` or unreadable."""
        ...

    def close(self) -> None: ...


def safe_relative(rel: str) -> PurePosixPath:
    """``rel`` as a relative POSIX path with no ``..``; ``IngestError`` naming it otherwise."""
    norm = rel.replace("\\", "/")
    if norm.startswith("/") or _WINDOWS_DRIVE.match(norm):
        raise IngestError("absolute path escapes the export root; not read", subject=rel)
    path = PurePosixPath(norm)
    if ".." in path.parts:
        raise IngestError("path with '..' escapes the export root; not read", subject=rel)
    if not path.parts or path.parts == (".",):
        raise IngestError("empty path", subject=rel)
    return path


class FolderSource:
    """An unpacked export folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root = root.resolve()
        self.issues: list[IngestIssue] = []
        self.complete = True

    def close(self) -> None:
        return None

    def _resolve(self, rel: str) -> Path:
        path = self.root / safe_relative(rel)
        if not path.resolve().is_relative_to(self._real_root):
            raise IngestError("symlink resolves outside the export root; not read", subject=rel)
        return path

    def exists(self, rel: str) -> bool:
        try:
            return self._resolve(rel).exists()
        except IngestError:
            return False

    def read_bytes(self, rel: str, limit: int) -> bytes:
        path = self._resolve(rel)
        try:
            if not path.exists():
                raise IngestError("file missing from the export", subject=rel)
            if not path.is_file():
                raise IngestError("not a regular file; not read", subject=rel)
            size = path.stat().st_size
            if size > limit:
                raise IngestError(f"file too large ({size} bytes > limit {limit}); not read", subject=rel)
            with path.open("rb") as f:
                data = f.read(limit + 1)  # the file may have grown since stat
        except OSError as err:
            raise IngestError(f"cannot read file: {err.strerror or err}", subject=rel) from err
        if len(data) > limit:
            raise IngestError(f"file too large (> limit {limit}); not read", subject=rel)
        return data


class ZipSource:
    """A zip of the export folder, read through ``ingestors.archive`` (nothing extracted to disk).

    The export may sit at the zip's top level or inside one folder (``drive_export/...``): the
    shallowest ``manifest.jsonl`` marks the root.
    """

    def __init__(self, archive: ExportArchive, manifest: str) -> None:
        self._archive = archive
        roots = sorted((e.path for e in archive.entries if e.name == manifest), key=lambda p: p.count("/"))
        prefix = roots[0][: -len(manifest)] if roots else ""
        self._entries: dict[str, Entry] = {
            e.path[len(prefix) :]: e for e in archive.entries if e.path.startswith(prefix)
        }
        self._rejected = {p[len(prefix) :] for p in archive.rejected if p.startswith(prefix)}

    @property
    def issues(self) -> list[IngestIssue]:
        return self._archive.issues

    @property
    def complete(self) -> bool:
        return self._archive.complete

    def close(self) -> None:
        self._archive.close()

    def exists(self, rel: str) -> bool:
        return self._key(rel) in self._entries

    def _key(self, rel: str) -> str:
        return unicodedata.normalize("NFC", safe_relative(rel).as_posix())

    def read_bytes(self, rel: str, limit: int) -> bytes:
        key = self._key(rel)
        if key in self._rejected:
            raise IngestError("refused by the archive reader (unsafe or too large); not read", subject=rel)
        entry = self._entries.get(key)
        if entry is None:
            raise IngestError("file missing from the export", subject=rel)
        if entry.size > limit:
            raise IngestError(f"file too large ({entry.size} bytes > limit {limit}); not read", subject=rel)
        try:
            return self._archive.read(entry)
        except IngestError as err:
            raise IngestError(err.message, subject=rel) from err


def open_export(path: Path, manifest: str, settings: IngestSettings) -> ExportSource:
    """The export at ``path``: its folder, a folder holding exactly one export, or a zip of one."""
    if path.is_dir():
        if (path / manifest).exists():
            return FolderSource(path)
        inner = [d for d in sorted(path.iterdir()) if d.is_dir() and (d / manifest).exists()]
        if len(inner) == 1:
            return FolderSource(inner[0])
        raise IngestError(
            f"no {manifest} in the export folder, and not a Google Takeout "
            "(no Takeout/Drive/ folder or takeout-*.zip)",
            subject=str(path / manifest),
        )
    if path.is_file():
        return ZipSource(ExportArchive(path, settings), manifest)
    raise IngestError("export not found", subject=str(path))
