"""``kb export drive OUT/``: write the Drive export contract (/work/shared/reference/drive-export.md)
from the API, for those who want files: ``export_info.json``, ``manifest.jsonl`` (one Drive v3
File resource per line, folders included, files with ``x_local_path`` and their permissions,
files left out on purpose with ``x_skipped`` saying why) and ``files/<fileId>/<name>``.
``kb ingest drive OUT/`` reads it back into the same documents a pull makes. Listing, exports and
downloads are the puller's (rate limit, retries, size limits).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kb.config import Settings, SourceConfig
from kb.errors import IngestError
from kb.records import SourceBatch

from .drive_api import DrivePuller

_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def safe_name(name: str) -> str:
    """A file name that stays inside its folder on any OS."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned[:200] or "file"


def export_drive(
    settings: Settings, source: SourceConfig, out: Path, *, sleep: Callable[[float], None] = time.sleep
) -> SourceBatch:
    """Write the export; returns a batch whose ``issues`` and ``complete`` say what was left out
    (its documents stay empty)."""
    if out.exists() and any(out.iterdir()) and not (out / "manifest.jsonl").exists():
        raise IngestError(
            "output folder is not empty and holds no earlier export; not written", subject=str(out)
        )
    puller = DrivePuller(settings, source, None, sleep=sleep)
    batch = SourceBatch(source="gdrive", complete=True)
    listing = puller.list_all(batch)
    batch.complete = listing.complete
    (out / "files").mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(folder) for folder in listing.folders.values()]
    for file_id, res in listing.files.items():
        before = len(batch.issues)
        got = puller.fetch(res, batch)
        # Why a file was left out on purpose (too large, no text export), so that reading the
        # export back reports a skip, as a pull does, instead of an unreadable export.
        skipped = [i.reason for i in batch.issues[before:] if i.severity == "warning"]
        entry = puller.with_permissions(res, batch)
        if got is None and skipped:
            entry = {**entry, "x_skipped": skipped[-1]}
        if got is not None:
            data, name = got
            local = f"files/{safe_name(file_id)}/{safe_name(name)}"
            (out / local).parent.mkdir(parents=True, exist_ok=True)
            (out / local).write_bytes(data)
            entry = {**entry, "x_local_path": local}
        lines.append(json.dumps(entry))
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    info = {
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exporter": f"freshkb kb export drive (source '{source.name}')",
        "root_folder_id": (source.folders or source.drives)[0],
        "timezone": "UTC",
    }
    (out / "export_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return batch
