"""Precision and recall of the successors inferred at ingest against a real corpus's history.

``successors.json`` (``evals/corpora/build.py``) lists the pages git shows were renamed or
rewritten into another (``renames``: old doc id -> new doc id, with the chain of later renames).
An inferred pair (old, new) counts as right when ``new`` is the old page's replacement or a later
link of its chain (a page renamed twice is replaced by either). Pairs are read from the store
the corpus was ingested into (``kb.store.inferred_successors``)::

    KB_DATA_DIR=/tmp/gds python -m kb.cli ingest notion evals/corpora/gds-way/notion-export.zip \\
        -c evals/corpora/gds-way/config.toml
    KB_DATA_DIR=/tmp/gds python -m evals.successors evals/corpora/gds-way

Prints one JSON object: counts, precision, recall, and the wrong and missed pairs by title.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kb.config import load_settings
from kb.runtime import Runtime
from kb.store.inferred_successors import InferredSuccessors


def truth(corpus: Path) -> dict[str, set[str]]:
    """old doc id -> every doc id that replaces it (the rename and its later renames)."""
    data = json.loads((corpus / "successors.json").read_text())
    by_path = {}
    for line in (corpus / "pages.jsonl").read_text().splitlines():
        page = json.loads(line)
        by_path[page["path"]] = page["doc_id"]
    out: dict[str, set[str]] = {}
    for r in data["renames"]:
        ids = {r["new_doc_id"], *(by_path[p] for p in r.get("chain", []) if p in by_path)}
        out.setdefault(r["old_doc_id"], set()).update(ids)
    return out


def score(corpus: Path, config: Path | None = None) -> dict[str, Any]:
    rt = Runtime(load_settings(config or corpus / "config.toml"))
    try:
        inferred = [(p.doc_id, p.successor_id, p.confidence) for p in InferredSuccessors(rt.db).all()]
        titles = {d.doc_id: d.title for d in rt.documents.list(with_text=False)}
    finally:
        rt.close()
    expected = truth(corpus)
    right = [(a, b) for a, b, _ in inferred if b in expected.get(a, ())]
    wrong = [(a, b) for a, b, _ in inferred if b not in expected.get(a, ())]
    found_old = {a for a, _ in right}
    missed = [(a, sorted(bs)[0]) for a, bs in expected.items() if a not in found_old]

    def named(pairs: list[tuple[str, str]]) -> list[str]:
        return [f"{titles.get(a, a)} -> {titles.get(b, b)}" for a, b in pairs]

    return {
        "corpus": corpus.name,
        "pages": len(titles),
        "true_pairs": len(expected),
        "inferred_pairs": len(inferred),
        "right": len(right),
        "precision": round(len(right) / len(inferred), 3) if inferred else None,
        "recall": round(len(found_old) / len(expected), 3) if expected else None,
        "wrong": named(wrong),
        "missed": named(missed),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="evals/corpora/<name>")
    parser.add_argument("-c", "--config", type=Path, default=None, help="config (default: the corpus's)")
    args = parser.parse_args(argv)
    json.dump(score(args.corpus, args.config), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
