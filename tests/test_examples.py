"""The bundled example data (examples/) is well-formed and matches its generator.

Pure checks, no model: the Notion zip has the real Part-N layout, the Drive manifest parses and
points at real files, config.toml loads and knows every person the exports name, every doc id the
golden set and the README use exists, the ingestors read the scenarios the other tests rely on,
and a fresh run of the generator gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest

from kb.config import Settings, load_settings
from kb.identity import People
from tests.conftest import EXAMPLES, ROOT

NOTION_ZIP = EXAMPLES / "notion" / "acme-notion-export.zip"
DRIVE = EXAMPLES / "drive"
GOLDEN = ROOT / "evals" / "golden" / "example.jsonl"
FOLDER = "application/vnd.google-apps.folder"
PAGE = re.compile(r"^(?P<title>.+) (?P<hex>[0-9a-f]{32})(?P<ext>\.md|\.csv|_all\.csv)$")

TRAP_OLD = "notion:3dff8b317595c13504c166e7c6cf8223"
TRAP_NEW = "gdrive:1737befe6db54f4c0d85fcfe018539604"
DEPLOY_V1 = "notion:b677f7b36eab02a88353019f6fc22670"
DEPLOY_V2 = "notion:70413b65eb81c16c14a952b7cd79173b"
CHARGEBACK_V1 = "gdrive:10706fa0560658bf75884656a5701feb1"
CHARGEBACK_V2 = "gdrive:17479d1d9a1df1bd45fa58df7afa691a9"
SECRETS_ROTATION = "notion:c47f65d86b399383a9f50d9adca7cfcc"
TRASHED = "gdrive:1703309152cbf96df2714247fe64c0f6a"
INCIDENT_COMMS = "gdrive:1b075892a50e453abad3dd306ea38e899"
SERVICE_CATALOG = "notion:98a142af6360693260ea538a7d92ba2c"
TEAM_DIRECTORY = "notion:5da4228cf9e9c2a176ef643c4e8ce572"


def notion_entries() -> dict[str, bytes]:
    """Every file of every part, keyed by its path inside the part (root folder included)."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(NOTION_ZIP) as outer:
        for name in outer.namelist():
            with zipfile.ZipFile(io.BytesIO(outer.read(name))) as part:
                for entry in part.namelist():
                    files[entry] = part.read(entry)
    return files


def manifest() -> list[dict[str, object]]:
    lines = (DRIVE / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def example_doc_ids() -> set[str]:
    """Ids of the documents the data holds: Notion pages and live (untrashed) Drive files."""
    ids = set()
    for path in notion_entries():
        m = PAGE.match(PurePosixPath(path).name)
        if m and m["ext"] == ".md":
            ids.add(f"notion:{m['hex']}")
    for entry in manifest():
        if entry["mimeType"] != FOLDER and not entry.get("trashed"):
            ids.add(f"gdrive:{entry['id']}")
    return ids


def golden_lines() -> Iterator[dict[str, object]]:
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


@pytest.fixture(scope="module")
def config() -> Settings:
    return load_settings(ROOT / "config.toml")


def test_notion_zip_holds_part_zips_each_with_one_export_root() -> None:
    with zipfile.ZipFile(NOTION_ZIP) as outer:
        names = outer.namelist()
        assert len(names) == 2
        uuid = re.fullmatch(r"Export-([0-9a-f-]{36})-Part-1\.zip", names[0])
        assert uuid, names
        assert names[1] == f"Export-{uuid[1]}-Part-2.zip"
        for name in names:
            with zipfile.ZipFile(io.BytesIO(outer.read(name))) as part:
                entries = part.namelist()
                assert {e.split("/", 1)[0] for e in entries} == {f"Export-{uuid[1]}"}
                assert f"Export-{uuid[1]}/index.html" in entries
                for entry in entries:
                    if not entry.endswith("index.html"):
                        assert PAGE.match(PurePosixPath(entry).name), entry
                        for folder in PurePosixPath(entry).parts[1:-1]:
                            assert re.search(r" [0-9a-f]{32}$", folder), entry


def test_notion_csvs_are_bom_crlf_with_an_all_variant() -> None:
    files = notion_entries()
    views = [p for p in files if p.endswith(".csv") and not p.endswith("_all.csv")]
    assert len(views) == 2
    for view in views:
        full = view.removesuffix(".csv") + "_all.csv"
        for path in (view, full):
            data = files[path]
            assert data.startswith(b"\xef\xbb\xbf"), path
            assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), path
        header = files[full].decode("utf-8-sig").split("\r\n", 1)[0]
        assert header.startswith("Name,Owner,") and "Last reviewed" in header


def test_notion_rows_carry_property_blocks_and_relations_resolve() -> None:
    files = notion_entries()
    by_hex = {PAGE.match(PurePosixPath(p).name)["hex"]: p for p in files if p.endswith(".md")}
    trap = files[by_hex[TRAP_OLD.split(":")[1]]].decode()
    assert trap.startswith("# Billing Spec (2021)\n\nOwner: Marcus Webb\nStatus: Active\n")
    assert "Last reviewed: March 1, 2021\n" in trap and "Last edited time: March 3, 2021 10:22 AM" in trap
    v1_path = by_hex[DEPLOY_V1.split(":")[1]]
    v1 = files[v1_path].decode()
    rel = re.search(r"^Superseded by: Deploy Process v2 \((.+\.md)\)$", v1, re.M)
    assert rel, v1[:600]
    target = PurePosixPath(v1_path).parent / unquote(rel[1])
    assert str(target) == by_hex[DEPLOY_V2.split(":")[1]]


def test_notion_relative_links_point_into_the_export() -> None:
    files = notion_entries()
    checked = 0
    for path, data in files.items():
        if not path.endswith(".md"):
            continue
        for link in re.findall(r"\]\(([^)]+\.(?:md|csv))\)", data.decode()):
            target = PurePosixPath(path).parent / unquote(link)
            parts: list[str] = []
            for p in target.parts:
                parts = parts[:-1] if p == ".." else [*parts, p]
            assert "/".join(parts) in files, f"{path}: dangling link {link}"
            checked += 1
    assert checked >= 10


def test_drive_manifest_lines_are_v3_resources_with_local_files() -> None:
    entries = manifest()
    ids = {e["id"] for e in entries}
    assert len(ids) == len(entries)
    info = json.loads((DRIVE / "export_info.json").read_text())
    assert info["root_folder_id"] in ids and info["timezone"] == "America/New_York"
    files = [e for e in entries if e["mimeType"] != FOLDER]
    assert len(files) == 21
    for e in files:
        for key in (
            "id",
            "name",
            "parents",
            "createdTime",
            "modifiedTime",
            "webViewLink",
            "lastModifyingUser",
            "permissions",
            "x_local_path",
        ):
            assert key in e, (e["name"], key)
        assert set(e["parents"]) <= ids
        local = DRIVE / str(e["x_local_path"])
        assert local.is_file(), local
        if "md5Checksum" in e:
            assert hashlib.md5(local.read_bytes()).hexdigest() == e["md5Checksum"]
        for key in ("supersededBy", "supersedes"):
            if ref := (e.get("appProperties") or {}).get(key):
                assert ref in ids, (e["name"], key)
    assert sum(1 for e in files if e["trashed"]) == 1
    shared = [e for e in files if "driveId" in e]
    assert shared and all("owners" not in e for e in shared)
    kinds = {p["type"] for e in files for p in e["permissions"]}
    assert kinds == {"user", "group", "domain", "anyone"}


def test_config_loads_and_maps_every_person_the_exports_name(config: Settings) -> None:
    people = People(config.people)
    names = set()
    for path, data in notion_entries().items():
        if path.endswith(".md"):
            names.update(re.findall(r"^(?:Owner|Last edited by): (.+)$", data.decode(), re.M))
    for e in manifest():
        for user in [*(e.get("owners") or []), e.get("lastModifyingUser") or {}]:
            if user:
                names.add(user["displayName"])
                assert people.email_for(user["displayName"]) == user["emailAddress"]
    unknown = sorted(n for n in names if people.email_for(n) is None)
    assert not unknown
    assert not people.is_active("marcus.webb@acme.com")
    assert config.notion.timezone == "America/New_York"


def test_demo_tokens_in_the_readme_match_config(config: Settings) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    tokens = {t.sha256: t.user for t in config.auth.tokens}
    for token, user in re.findall(r"\| `(demo-\w+)` \| (\S+) \|", readme):
        assert tokens[hashlib.sha256(token.encode()).hexdigest()] == user
    assert len(tokens) == 4


def test_golden_lines_are_complete_and_label_existing_documents(config: Settings) -> None:
    ids = example_doc_ids()
    users = {t.user for t in config.auth.tokens}
    lines = list(golden_lines())
    assert len(lines) >= 45
    assert len({q["qid"] for q in lines}) == len(lines)
    for q in lines:
        assert {"qid", "question", "relevant", "slice", "user"} <= set(q), q
        labelled = [*q["relevant"], *q.get("stale", [])]
        assert set(labelled) <= ids, (q["qid"], set(labelled) - ids)
        assert q["user"] in users, q["qid"]
    slices = {q["slice"] for q in lines}
    assert {
        "superseded",
        "evergreen",
        "only-old",
        "restricted-allowed",
        "restricted-denied",
        "no-answer",
        "billing",
        "duplicate",
    } <= slices


def test_golden_set_loads_with_the_eval_loader() -> None:
    golden = pytest.importorskip("evals.golden")
    assert len(golden.load_golden(GOLDEN)) == len(list(golden_lines()))


def test_readme_doc_ids_exist() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"(?:notion:[0-9a-f]{32}|gdrive:1[0-9a-f]{32})", readme))
    assert len(mentioned) >= 30
    assert mentioned - example_doc_ids() == {TRASHED}


def test_ingestors_read_the_scenarios(config: Settings) -> None:
    notion = pytest.importorskip("ingestors.notion").NotionIngestor(config).read(NOTION_ZIP)
    drive = pytest.importorskip("ingestors.drive").DriveIngestor(config).read(DRIVE)
    assert (notion.complete, drive.complete) == (True, True)
    assert not notion.issues and not drive.issues
    docs = {d.doc_id: d for d in [*notion.documents, *drive.documents]}
    assert set(docs) == example_doc_ids() and len(docs) == 60
    trap = docs[TRAP_OLD]
    assert (trap.status, trap.owner) == ("active", "marcus.webb@acme.com")
    assert trap.last_reviewed_at is not None and trap.last_reviewed_at.year == 2021
    assert docs[TRAP_NEW].last_reviewed_at is not None and docs[TRAP_NEW].review_interval_days == 90
    assert docs[DEPLOY_V1].superseded_by == DEPLOY_V2 and docs[DEPLOY_V1].status == "deprecated"
    assert docs[CHARGEBACK_V1].superseded_by == CHARGEBACK_V2
    assert docs[SECRETS_ROTATION].acl == [] and docs[SECRETS_ROTATION].path == ["Security"]
    assert docs[INCIDENT_COMMS].owner is None
    assert "group:security@acme.com" in docs["gdrive:1d8f532a9dbc80a2fc2e9feee5bcf0f54"].acl

    rules = pytest.importorskip("kb.lifecycle.rules")
    assert rules.resolve(docs[SECRETS_ROTATION], config).acl == ["group:security@acme.com"]
    assert rules.resolve(docs[INCIDENT_COMMS], config).owner == "platform-team@acme.com"
    assert rules.resolve(docs[SERVICE_CATALOG], config).owner == "platform-team@acme.com"
    assert rules.resolve(docs[TEAM_DIRECTORY], config).owner is None
    assert rules.resolve(docs[TRAP_NEW], config).acl == [
        "domain:acme.com",
        "group:billing@acme.com",
        "user:priya.nair@acme.com",
    ]


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLES / "build_examples.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(EXAMPLES) for p in (EXAMPLES / "notion").rglob("*") if p.is_file())
    committed += sorted(p.relative_to(EXAMPLES) for p in DRIVE.rglob("*") if p.is_file())
    assert fresh == sorted(committed)
    changed = [str(p) for p in fresh if (tmp_path / p).read_bytes() != (EXAMPLES / p).read_bytes()]
    assert not changed, f"re-run examples/build_examples.py and commit: {changed}"
