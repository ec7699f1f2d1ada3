"""A safe, read-only view of an export: a folder, a zip, or an outer zip of ``*-Part-N.zip`` parts.

Ingestors list ``ExportArchive.entries`` and ``read`` the ones they need. Nothing is extracted to
disk. Problems are reported as ``IngestIssue``s naming the entry, and the rest is still readable:

- a corrupt or truncated zip (the whole file, or one Part among good ones): ``complete=False``;
- an entry whose path escapes the export (absolute, ``..``, a drive letter, a symlink pointing
  outside a folder export): zip-slip, never read;
- an entry larger than ``max_entry_bytes`` (by its header, and again while reading, because
  headers can lie) and an export whose entries add up to more than ``max_total_bytes``;
- a CRC or decompression error in one entry (raised from ``read`` as ``IngestError``).

Only top-level ``*-Part-N.zip`` files are opened as parts: a zip someone attached to a page is
just an entry. ``__MACOSX/`` and ``.DS_Store`` are skipped silently.

Memory stays bounded whatever the input: a part inside a zip is streamed, 1 MiB at a time, to an
anonymous temporary file (at most ``max_total_bytes``) and opened from there, never read into
memory (a 1 MB zip can hold a 1 GB part); a part in a folder export is opened in place. Entries
are read whole, but only up to ``max_entry_bytes``.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from kb.config import IngestSettings
from kb.errors import IngestError
from kb.records import IngestIssue

PART_RE = re.compile(r"^[^/]*-Part-\d+\.zip$", re.IGNORECASE)
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_UTF8_FLAG = 0x800
# zipfile raises these for corrupt, truncated, encrypted or oddly compressed members.
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)
_SPOOL_CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One file of the export. ``path`` is relative, POSIX, NFC-normalised."""

    path: str
    size: int
    label: str = field(compare=False)
    _zip: zipfile.ZipFile | None = field(default=None, compare=False, repr=False)
    _info: zipfile.ZipInfo | None = field(default=None, compare=False, repr=False)
    _file: Path | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def zipped_at(self) -> datetime | None:
        """When the zip that holds this entry wrote it (read as UTC); None for a file in a folder,
        whose time may be when it was copied rather than exported."""
        return self.modified if self._info is not None else None

    @property
    def modified(self) -> datetime | None:
        """When the file was last changed, as the folder or zip recorded it (UTC, or None).

        Zip headers hold a local time without a zone; it is read as UTC (Google Takeout writes UTC).
        """
        try:
            if self._info is not None:
                return datetime(*self._info.date_time, tzinfo=UTC)
            if self._file is not None:
                return datetime.fromtimestamp(self._file.stat().st_mtime, tz=UTC)
        except (OSError, ValueError):
            return None
        return None


def safe_relpath(name: str) -> str | None:
    """The normalised relative path for an entry name, or None when it would escape the export."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE_RE.match(posix):
        return None
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return unicodedata.normalize("NFC", "/".join(parts))


def is_junk(path: str) -> bool:
    """Files that macOS adds when re-zipping: never part of the export."""
    parts = path.split("/")
    return "__MACOSX" in parts or parts[-1] == ".DS_Store"


def _member_name(info: zipfile.ZipInfo) -> str:
    # Zips without the UTF-8 flag (macOS Archive Utility, old tools) were decoded as cp437 by
    # zipfile, although they hold UTF-8 bytes: undo that so names match the links in pages.
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


class ExportArchive:
    """Entries of one export, with the issues found while listing them. Use as a context manager."""

    def __init__(self, path: Path, limits: IngestSettings) -> None:
        if not path.exists():
            raise IngestError("export not found", subject=str(path))
        self.path = path
        self.limits = limits
        self.entries: list[Entry] = []
        self.issues: list[IngestIssue] = []
        self.rejected: list[str] = []
        """Paths of entries that were listed but refused (unsafe or too large)."""
        self.complete = True
        self._listed_bytes = 0
        self._read_bytes = 0
        self._zips: list[zipfile.ZipFile] = []
        self._spools: list[IO[bytes]] = []  # temporary files holding nested parts
        if path.is_dir():
            self._list_folder(path)
        else:
            self._list_zip_file(path)

    # -- context management -------------------------------------------------------------------
    def __enter__(self) -> ExportArchive:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for zf in self._zips:
            zf.close()
        self._zips.clear()
        for spool in self._spools:
            spool.close()  # anonymous: the file is gone once closed
        self._spools.clear()

    # -- reporting ----------------------------------------------------------------------------
    def _issue(self, input: str, reason: str, *, incomplete: bool = False) -> None:
        self.issues.append(IngestIssue(input=input, reason=reason))
        if incomplete:
            self.complete = False

    def _reject(self, path: str, label: str, reason: str) -> None:
        self.rejected.append(path)
        self._issue(label, reason)

    def _admit(self, entry: Entry) -> None:
        """Add an entry unless it or the export's running total is over the limits."""
        if entry.size > self.limits.max_entry_bytes:
            self._reject(
                entry.path,
                entry.label,
                f"entry is {entry.size} bytes, over "
                f"ingest.max_entry_bytes ({self.limits.max_entry_bytes}); skipped",
            )
            return
        if self._listed_bytes + entry.size > self.limits.max_total_bytes:
            if self._listed_bytes <= self.limits.max_total_bytes:
                self._issue(
                    entry.label,
                    f"export is over ingest.max_total_bytes "
                    f"({self.limits.max_total_bytes}); this and later entries skipped",
                    incomplete=True,
                )
            self._listed_bytes = self.limits.max_total_bytes + 1
            self.rejected.append(entry.path)
            return
        self._listed_bytes += entry.size
        self.entries.append(entry)

    # -- listing ------------------------------------------------------------------------------
    def _list_folder(self, root: Path) -> None:
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            for d in list(dirnames):
                if (here / d).is_symlink():
                    # Not followed: it could loop or leave the export; say so when it escapes.
                    dirnames.remove(d)
                    rel = (here / d).relative_to(root).as_posix()
                    if not (here / d).resolve().is_relative_to(real_root):
                        self._reject(rel, rel, "symlink points outside the export; not followed")
            dirnames.sort()
            for name in sorted(filenames):
                file = here / name
                rel = unicodedata.normalize("NFC", file.relative_to(root).as_posix())
                if is_junk(rel):
                    continue
                if file.is_symlink() and not file.resolve().is_relative_to(real_root):
                    self._reject(rel, rel, "symlink points outside the export; not read")
                    continue
                if here == root and PART_RE.match(name):
                    self._list_part(name, functools.partial(self._open_file, file, name))
                    continue
                try:
                    size = file.stat().st_size
                except OSError as err:
                    self._issue(rel, f"cannot stat: {err.strerror}", incomplete=True)
                    continue
                self._admit(Entry(rel, size, rel, _file=file))

    def _list_zip_file(self, path: Path) -> None:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as err:
            self._issue(path.name, f"not a readable zip (corrupt or truncated): {err}", incomplete=True)
            return
        self._zips.append(zf)
        self._list_zip(zf, prefix="", top_level=True)

    def _list_zip(self, zf: zipfile.ZipFile, *, prefix: str, top_level: bool) -> None:
        for info in zf.infolist():
            raw = _member_name(info)
            rel = safe_relpath(raw)
            label = f"{prefix}{raw}"
            if rel is None:
                self._reject(raw, label, "entry path escapes the export (zip-slip); not read")
                continue
            if info.is_dir() or not rel or is_junk(rel):
                continue
            if top_level and PART_RE.match(rel):
                self._list_part(rel, functools.partial(self._spool_member, zf, info, rel))
                continue
            self._admit(Entry(rel, info.file_size, f"{prefix}{rel}", _zip=zf, _info=info))

    def _list_part(self, name: str, open_part: Callable[[], IO[bytes]]) -> None:
        """Open one ``*-Part-N.zip`` from a file; a bad part is reported and the others go on."""
        try:
            zf = zipfile.ZipFile(open_part())
        except IngestError as err:
            self._issue(name, err.message, incomplete=True)
            return
        except zipfile.BadZipFile as err:
            self._issue(
                name, f"export part is not a readable zip (corrupt or truncated): {err}", incomplete=True
            )
            return
        self._zips.append(zf)
        self._list_zip(zf, prefix=f"{name}/", top_level=False)

    # -- reading ------------------------------------------------------------------------------
    def _read_capped_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, cap: int) -> bytes:
        try:
            with zf.open(info) as f:
                data = f.read(cap + 1)
        except _ZIP_READ_ERRORS as err:
            raise IngestError(
                f"cannot read entry (CRC or decompression error): {err}", subject=label
            ) from err
        if len(data) > cap:
            raise IngestError(
                f"entry is larger than {cap} bytes (its header said {info.file_size}); skipped", subject=label
            )
        return data

    def _spool_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> IO[bytes]:
        """A nested part copied to an anonymous temporary file in bounded chunks."""
        cap = self.limits.max_total_bytes
        spool = tempfile.TemporaryFile(prefix="kb-part-")  # noqa: SIM115 (closed by close())
        self._spools.append(spool)
        copied = 0
        try:
            with zf.open(info) as f:
                while chunk := f.read(_SPOOL_CHUNK):
                    copied += len(chunk)
                    if copied > cap:
                        raise IngestError(
                            f"export part is larger than ingest.max_total_bytes ({cap}); not read",
                            subject=label,
                        )
                    spool.write(chunk)
        except _ZIP_READ_ERRORS as err:
            raise IngestError(
                f"cannot read export part (CRC or decompression error): {err}", subject=label
            ) from err
        spool.seek(0)
        return spool

    def _open_file(self, file: Path, label: str) -> IO[bytes]:
        try:
            if file.stat().st_size > self.limits.max_total_bytes:
                raise IngestError(
                    f"larger than ingest.max_total_bytes ({self.limits.max_total_bytes})", subject=label
                )
            handle = file.open("rb")
        except OSError as err:
            raise IngestError(f"cannot read: {err.strerror}", subject=label) from err
        self._spools.append(handle)
        return handle

    def read(self, entry: Entry) -> bytes:
        """The entry's bytes. Raises ``IngestError`` naming the entry; never reads past the caps."""
        cap = self.limits.max_entry_bytes
        if entry._zip is not None and entry._info is not None:
            data = self._read_capped_member(entry._zip, entry._info, entry.label, cap)
        else:
            assert entry._file is not None
            try:
                with entry._file.open("rb") as f:
                    data = f.read(cap + 1)
            except OSError as err:
                raise IngestError(f"cannot read: {err.strerror}", subject=entry.label) from err
            if len(data) > cap:
                raise IngestError(
                    f"entry is larger than ingest.max_entry_bytes ({cap}); skipped", subject=entry.label
                )
        self._read_bytes += len(data)
        if self._read_bytes > self.limits.max_total_bytes:
            self.complete = False
            raise IngestError(
                f"export is over ingest.max_total_bytes ({self.limits.max_total_bytes}); not read",
                subject=entry.label,
            )
        return data
