"""Deterministic output helpers: fixed-time zips, stable uuids, Notion-style link encoding."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote


def dashed(hex32: str) -> str:
    h = hex32
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def quote_link(path: str) -> str:
    """A relative path URL-encoded the way Notion writes links (spaces as %20, '/' kept)."""
    return "/".join(quote(seg, safe="()!*'~,@") for seg in path.split("/"))


def zip_bytes(entries: list[tuple[str, bytes]], date_time: tuple[int, ...]) -> bytes:
    """A zip with fixed entry times and attributes, so identical input gives identical bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time[:6])  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def write_if_changed(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
