"""The committed real-world corpora (evals/corpora/<name>/) are well formed, and the builder is
deterministic.

No model is loaded: the committed exports are checked against ``pages.jsonl`` and the id rule
(``notion:`` + first 32 hex of ``sha1("<corpus>:<path>")``, ``<path>@deleted`` for a removed
version of a path that is live again), their licence and provenance are present, and the
ingestors read them with every property the corpus promises. A tiny git repository made in a tmp
dir (front matter, an edit, a deletion, a rename, a "has now moved" stub, a re-created path)
checks what the builder makes of history and that two runs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from evals.corpora import build as builder
from ingestors.drive import DriveIngestor
from ingestors.notion import NotionIngestor
from kb.config import load_settings
from tests.conftest import ROOT

CORPORA = ROOT / "evals" / "corpora"
NAMES = sorted(p.name for p in CORPORA.iterdir() if (p / "pages.jsonl").exists()) if CORPORA.exists() else []
PAGE_FILE = re.compile(r"/(?P<title>[^/]+) (?P<hex>[0-9a-f]{32})\.md$")
MAX_BYTES = 5_000_000


def pages(name: str) -> list[dict[str, Any]]:
    lines = (CORPORA / name / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def notion_files(path: Path) -> dict[str, bytes]:
    """Every file of every part of an outer export zip, keyed by its path inside the part."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as outer:
        for name in outer.namelist():
            assert re.fullmatch(r"Export-[0-9a-f-]{36}-Part-\d+\.zip", name), name
            with zipfile.ZipFile(io.BytesIO(outer.read(name))) as part:
                assert any(n.endswith("/index.html") for n in part.namelist())
                for entry in part.namelist():
                    if not entry.endswith("/index.html"):
                        files[entry] = part.read(entry)
    return files


def hex_id(name: str, key: str) -> str:
    return hashlib.sha1(f"{name}:{key}".encode()).hexdigest()[:32]


def dir_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_both_corpora_are_committed() -> None:
    assert {"cloud-platform", "gds-way"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_pages_follow_the_id_rule_and_are_in_the_zip(name: str) -> None:
    records = pages(name)
    live_paths = {r["path"] for r in records if r["live"]}
    md = {
        m.group("hex"): data
        for path, data in notion_files(CORPORA / name / "notion-export.zip").items()
        if (m := PAGE_FILE.search(path))
    }
    assert len({r["doc_id"] for r in records}) == len(records)
    for r in records:
        key = r["path"] + ("@deleted" if not r["live"] and r["path"] in live_paths else "")
        assert r["id_key"] == key
        assert r["hex"] == hex_id(name, key), r["path"]
        assert r["doc_id"] == f"notion:{r['hex']}"
        assert r["live"] == (r["state"] == "live")
        assert (r["removed_in"] is None) == r["live"]
        text = md[r["hex"]].decode("utf-8")
        assert text.startswith(f"# {r['title']}\n"), r["path"]
        head = text.split("\n\n", 2)[1]
        assert "Superseded by:" not in text and "Supersedes:" not in text
        if r["last_reviewed_on"]:
            assert "\nLast reviewed: " in f"\n{head}"
        if r["review_in"]:
            assert f"Review interval: {' '.join(r['review_in'].split())}" in head
        if r["owner"]:
            assert f"Owner: {r['owner']}" in head
    assert set(md) == {r["hex"] for r in records}, "pages in the zip but not in pages.jsonl (or back)"


@pytest.mark.parametrize("name", NAMES)
def test_metadata_licence_and_provenance(name: str) -> None:
    folder = CORPORA / name
    records = {r["doc_id"]: r for r in pages(name)}
    licence = (folder / "LICENCE").read_text(encoding="utf-8")
    assert "MIT" in licence and "Crown Copyright" in licence
    successors = json.loads((folder / "successors.json").read_text(encoding="utf-8"))
    provenance = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    assert re.fullmatch(r"[0-9a-f]{40}", successors["commit"])
    assert successors["commit"] in provenance and successors["repository"] in provenance
    for rename in successors["renames"]:
        assert records[rename["old_doc_id"]]["state"] == "renamed"
        if rename["new_doc_id"]:
            assert rename["new_doc_id"] in records
    for moved in successors["moved"]:
        assert moved["doc_id"] in records
        assert moved["target_doc_id"] is None or moved["target_doc_id"] in records
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and "golden" not in p.parts)
    assert size < MAX_BYTES
    settings = load_settings(folder / "config.toml")
    assert settings.review.default_interval_days == 180
    people = {p.name for p in settings.people}
    assert {r["owner"] for r in records.values() if r["owner"]} <= people


@pytest.mark.parametrize("name", NAMES)
def test_ingestors_read_every_page_with_its_properties(name: str) -> None:
    folder = CORPORA / name
    settings = load_settings(folder / "config.toml")
    records = {r["doc_id"]: r for r in pages(name)}
    batch = NotionIngestor(settings).read(folder / "notion-export.zip")
    assert batch.complete and not [i for i in batch.issues if i.severity == "error"]
    docs = {d.doc_id: d for d in batch.documents}
    assert set(docs) == set(records)
    for doc_id, r in records.items():
        doc = docs[doc_id]
        assert doc.title == r["title"]
        assert doc.last_edited_at is not None
        assert (doc.last_reviewed_at is not None) == bool(r["last_reviewed_on"])
        assert (doc.review_interval_days is not None) == bool(r["review_in"])
        assert (doc.owner is not None) == bool(r["owner"])
        if r["owner"]:
            assert doc.owner == r["owner_email"]
    if (folder / "drive").exists():
        drive = DriveIngestor(settings).read(folder / "drive")
        assert drive.complete and not drive.issues
        by_id = {d.doc_id: d for d in drive.documents}
        assert set(by_id) == {r["drive_doc_id"] for r in records.values()}
        for r in records.values():
            assert r["drive_doc_id"] == f"gdrive:1{r['hex']}"
            doc = by_id[r["drive_doc_id"]]
            assert (doc.last_reviewed_at is not None) == bool(r["last_reviewed_on"])
            assert doc.owner == (r["owner_email"] or f"{name}-maintainers@{name}.example")


# -- the builder on a tiny synthetic repository ---------------------------------------------------


def _git(repo: Path, *args: str, when: str = "2024-01-01T10:00:00+00:00") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    out = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout


def _commit(repo: Path, when: str, files: dict[str, str | None], message: str) -> None:
    for path, text in files.items():
        target = repo / path
        if text is None:
            _git(repo, "rm", "-q", path, when=when)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        _git(repo, "add", path, when=when)
    _git(repo, "commit", "-q", "-m", message, when=when)


def _page(title: str, body: str, reviewed: str | None = "2024-01-01", owner: str | None = None) -> str:
    meta = [f"title: {title}"]
    if reviewed:
        meta += [f"last_reviewed_on: {reviewed}", "review_in: 6 months"]
    if owner:
        meta.append(f'owner_slack: "{owner}"')
    return "---\n" + "\n".join(meta) + "\n---\n\n# <%= current_page.data.title %>\n\n" + body + "\n"


# Several lines, as real pages have: git detects renames by similarity of lines.
LOREM = "\n\n".join(" ".join(f"word{i}" for i in range(j, j + 10)) for j in range(0, 60, 10))


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("handbook")
    _git(repo, "init", "-q", "-b", "main")
    _commit(
        repo,
        "2023-01-10T09:00:00+00:00",
        {
            "LICENCE": "MIT License\n\nCopyright (c) 2024 Crown Copyright (Test)\n",
            "config/tech-docs.yml": "host: https://handbook.example.gov.uk\n",
            "source/index.html.md.erb": _page(
                "Home", "See [deploying](/docs/deploy.html) and [old](docs/old.html)."
            ),
            "source/docs/deploy.html.md.erb": _page(
                "Deploy an app", f"Run the pipeline. {LOREM}", owner="#team-foo"
            ),
            "source/docs/old.html.md.erb": _page("Old tool", f"Use the old tool. {LOREM}"),
            "source/docs/legacy.html.md.erb": _page(
                "Legacy setup", f"The legacy way. {LOREM}", reviewed=None
            ),
            "source/docs/gone.html.md.erb": _page("Gone page", f"Soon gone. {LOREM}"),
        },
        "first",
    )
    _commit(
        repo,
        "2023-06-01T12:30:00+01:00",
        {
            "source/docs/deploy.html.md.erb": _page(
                "Deploy an app", f"Run the new pipeline. {LOREM}", owner="#team-foo"
            )
        },
        "edit",
    )
    # A rename with a rewrite: the old version stays in the corpus, its successor is known.
    _commit(
        repo,
        "2023-09-01T08:00:00+00:00",
        {
            "source/docs/old.html.md.erb": None,
            "source/docs/new-tool.html.md.erb": _page(
                "New tool", f"Use the new tool instead. {LOREM} extra words here"
            ),
        },
        "rename",
    )
    _commit(
        repo,
        "2024-02-01T08:00:00+00:00",
        {
            "source/docs/gone.html.md.erb": None,
            "source/docs/legacy.html.md.erb": _page(
                "Legacy setup", "This page has now moved to [Deploy an app](/docs/deploy.html)", reviewed=None
            ),
        },
        "delete and stub",
    )
    # The deleted path comes back with new text: its deleted version gets the @deleted id.
    _commit(
        repo,
        "2024-03-01T08:00:00+00:00",
        {
            "source/docs/gone.html.md.erb": _page(
                "Gone page, back", "Completely different text about other things."
            )
        },
        "re-create",
    )
    return repo


def test_builder_renders_history_deterministically(tiny_repo: Path, tmp_path: Path) -> None:
    git_dir = tiny_repo / ".git"
    first, second = tmp_path / "a", tmp_path / "b"
    summary = builder.build(git_dir, "tiny", first, drive=True)
    builder.build(git_dir, "tiny", second, drive=True)
    assert dir_bytes(first) == dir_bytes(second)
    assert summary.states == {"live": 5, "deleted": 1, "renamed": 1}

    lines = (first / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    records = {r["id_key"]: r for r in map(json.loads, lines)}
    gone = records["source/docs/gone.html.md.erb@deleted"]
    assert gone["state"] == "deleted" and gone["title"] == "Gone page"
    assert gone["doc_id"] == "notion:" + hex_id("tiny", "source/docs/gone.html.md.erb@deleted")
    old = records["source/docs/old.html.md.erb"]
    new = records["source/docs/new-tool.html.md.erb"]
    assert old["state"] == "renamed" and old["successor_by_rename"]["doc_id"] == new["doc_id"]
    assert old["last_edited"].startswith("2023-01-10") and old["removed_at"].startswith("2023-09-01")
    assert new["created"].startswith("2023-01-10")  # follows the rename
    deploy = records["source/docs/deploy.html.md.erb"]
    assert deploy["owner"] == "Team Foo" and deploy["owner_email"] == "team-foo@tiny.example"
    stub = records["source/docs/legacy.html.md.erb"]
    assert stub["moved_to"] == [deploy["doc_id"]]

    files = notion_files(first / "notion-export.zip")
    [deploy_md] = [data.decode() for path, data in files.items() if path.endswith(f"{deploy['hex']}.md")]
    assert "Owner: Team Foo\nLast reviewed: January 1, 2024\nReview interval: 6 months\n" in deploy_md
    assert "Last edited time: June 1, 2023 12:30 PM" in deploy_md  # Europe/London, BST
    assert "<%" not in deploy_md and "Run the new pipeline." in deploy_md
    [home_md] = [
        data.decode()
        for path, data in files.items()
        if path.endswith(f"{records['source/index.html.md.erb']['hex']}.md")
    ]
    assert f"%20{deploy['hex']}.md)" in home_md  # a relative Notion link to the page
    assert f"%20{old['hex']}.md)" in home_md  # the link names the renamed-away version's URL

    settings = load_settings(first / "config.toml")
    batch = NotionIngestor(settings).read(first / "notion-export.zip")
    assert batch.complete and not batch.issues
    by_id = {d.doc_id: d for d in batch.documents}
    assert by_id[deploy["doc_id"]].owner == "team-foo@tiny.example"
    assert by_id[deploy["doc_id"]].review_interval_days == 183  # "6 months" in calendar months
    drive = DriveIngestor(settings).read(first / "drive")
    assert drive.complete and {d.doc_id for d in drive.documents} == {
        r["drive_doc_id"] for r in records.values()
    }

    head = _git(tiny_repo, "rev-parse", "HEAD").strip()
    third = tmp_path / "c"
    builder.build(git_dir, "tiny", third, rev=head, drive=True)
    assert dir_bytes(third) == dir_bytes(first)


def test_golden_to_drive(tmp_path: Path) -> None:
    src, dst = tmp_path / "notion.jsonl", tmp_path / "drive.jsonl"
    hex1, hex2 = "a" * 32, "b" * 32
    src.write_text(
        "# a comment\n"
        + json.dumps(
            {"qid": "q1", "question": "Q?", "relevant": {f"notion:{hex1}": 3}, "stale": [f"notion:{hex2}"]}
        )
        + "\n\n"
        + json.dumps({"qid": "q2", "question": "R?", "relevant": [f"notion:{hex2}"]})
        + "\n",
        encoding="utf-8",
    )
    assert builder.main(["--golden-to-drive", str(src), str(dst)]) == 0
    lines = dst.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# a comment" and lines[2] == ""
    q1, q2 = json.loads(lines[1]), json.loads(lines[3])
    assert q1["relevant"] == {f"gdrive:1{hex1}": 3} and q1["stale"] == [f"gdrive:1{hex2}"]
    assert q2["relevant"] == [f"gdrive:1{hex2}"]
