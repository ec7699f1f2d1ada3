"""Issue 11, case 4: a nested zip bomb (a small outer zip holding a huge ``*-Part-N.zip``) is read
with bounded memory. The export is read in a child process that reports its own peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PART_MB = 512
RSS_BOUND_MB = 100
"""Stated bound: reading the export raises the reader's peak RSS by less than this, whatever the
part's size (before the fix it grew by more than the part: 2.3 GB for a 1 GB part)."""

_CHILD = """
import json, resource, sys
from pathlib import Path
from ingestors.notion import NotionIngestor
from kb.config import settings_from_dict
settings = settings_from_dict({"data": {"dir": sys.argv[2]}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
batch = NotionIngestor(settings).read(Path(sys.argv[1]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "after_kb": after, "docs": [d.title for d in batch.documents],
                  "issues": [[i.input, i.reason] for i in batch.issues]}))
"""


def _bomb(tmp_path: Path) -> Path:
    part = tmp_path / "part.zip"
    root = "Export-0fc81e77-3363-f850-21ef-2d7a73d172b1"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{root}/Home 0123456789abcdef0123456789abcdef.md", "# Home\n\nWelcome.\n")
        with zf.open(f"{root}/big.md", "w", force_zip64=True) as big:
            for _ in range(PART_MB):
                big.write(zeros)
    outer = tmp_path / "export.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(part, f"{root}-Part-3.zip")
    part.unlink()
    return outer


def test_nested_part_bomb_is_read_in_bounded_memory(tmp_path: Path) -> None:
    outer = _bomb(tmp_path)
    assert outer.stat().st_size < 5 * (1 << 20)  # a few MB holding a 512 MB part
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(outer), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    grown_mb = (result["after_kb"] - result["before_kb"]) / 1024
    assert grown_mb < RSS_BOUND_MB, f"peak RSS grew by {grown_mb:.0f} MB reading a {PART_MB} MB part"
    assert result["docs"] == ["Home"]
    [(_where, why)] = [i for i in result["issues"] if i[0].endswith("big.md")]
    assert "max_entry_bytes" in why
