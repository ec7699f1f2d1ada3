"""Shared pieces of the example-data generator: source loading, stable ids, deterministic zips."""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The deterministic writers are shared with the eval corpora builder (examples/ is not a package).
sys.path.insert(0, str(HERE.parent))

from evals.corpora.zips import dashed as dashed  # noqa: E402  (re-exported to the generator modules)
from evals.corpora.zips import write_if_changed as write_if_changed  # noqa: E402
from evals.corpora.zips import zip_bytes as _zip_bytes  # noqa: E402

SOURCE = HERE / "source"

# When the fictional company exported its data; zip entry times are the export time.
EXPORT_TIME = (2026, 11, 20, 16, 5, 0)
EXPORT_ISO = "2026-11-20T21:05:00.000Z"


@dataclass
class Source:
    """One source file: its front matter and Markdown body."""

    slug: str
    meta: dict[str, Any]
    body: str
    properties: dict[str, str] = field(default_factory=dict)


def load_sources(kind: str) -> list[Source]:
    """Read ``source/<kind>/*.md`` in file-name order (the order documents appear in exports)."""
    out = []
    for path in sorted((SOURCE / kind).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = re.match(r"\+\+\+\n(.*?)\n\+\+\+\n?(.*)", text, re.S)
        if not match:
            raise SystemExit(f"{path}: missing +++ front matter")
        meta = tomllib.loads(match.group(1))
        props = {str(k): str(v) for k, v in meta.pop("properties", {}).items()}
        out.append(Source(path.stem, meta, match.group(2).strip(), props))
    return out


def hex_id(namespace: str, key: str, length: int = 32) -> str:
    """A stable hex id for ``key``: the same title always gets the same id."""
    return hashlib.sha1(f"acme-{namespace}:{key}".encode()).hexdigest()[:length]


def notion_id(title: str) -> str:
    return hex_id("notion", title)


def drive_id(folder: str, name: str) -> str:
    """Drive file ids are 33 characters starting with '1'."""
    return "1" + hex_id("drive", f"{folder}/{name}")


def zip_bytes(entries: list[tuple[str, bytes]], date_time: tuple[int, ...] = EXPORT_TIME) -> bytes:
    """``evals.corpora.zips.zip_bytes`` (one deterministic zip writer), at the export time."""
    return _zip_bytes(entries, date_time)


def normalize_zip(
    data: bytes, date_time: tuple[int, ...], replace: dict[str, tuple[str, str]] | None = None
) -> bytes:
    """Rewrite an OOXML zip (docx/xlsx) with fixed entry times.

    python-docx and openpyxl stamp zip entries (and openpyxl the core 'modified' date) with the
    current time; ``replace`` maps an entry name to a (regex, replacement) applied to its text.
    """
    entries = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            blob = zf.read(info.filename)
            if replace and info.filename in replace:
                pattern, repl = replace[info.filename]
                blob = re.sub(pattern, repl, blob.decode("utf-8")).encode("utf-8")
            entries.append((info.filename, blob))
    return zip_bytes(entries, date_time)
