"""Generate the bundled example data (a fictional SaaS company, "Acme") from examples/source/.

Writes, deterministically (same bytes on every run, so the committed files do not churn):

- ``notion/acme-notion-export.zip``: a Notion "Markdown & CSV" workspace export in the real
  layout (outer zip holding ``Export-<uuid>-Part-N.zip``), built by ``acme_notion``;
- ``drive/``: a Drive API v3 export (``export_info.json``, ``manifest.jsonl``,
  ``files/<fileId>/<name>``), built by ``acme_drive``.

The content lives in ``examples/source/{notion,drive}/*.md``: a TOML front matter between
``+++`` lines (title, parent, properties / Drive metadata) and a Markdown body. Ids are derived
from titles, so golden labels stay stable as long as a title does not change.

Usage: ``python examples/build_examples.py [--out DIR]`` (default: the examples/ folder).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import acme_drive  # noqa: E402  (sibling modules: examples/ is not a package)
import acme_notion  # noqa: E402
from acme_common import load_sources  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: examples/)")
    args = parser.parse_args(argv)
    out: Path = args.out
    n_notion = acme_notion.build(load_sources("notion"), out / "notion" / "acme-notion-export.zip")
    n_drive = acme_drive.build(load_sources("drive"), out / "drive")
    print(f"notion: {n_notion} pages, drive: {n_drive} files -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
