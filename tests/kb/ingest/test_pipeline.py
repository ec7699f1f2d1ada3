"""The ingest pipeline end to end: real model, embedded Chroma, SQLite.

``FolderIngestor`` is a deliberately tiny reader (one Markdown file per document) so the pipeline's
own behaviour (diffing, removal, crash recovery) is tested apart from export parsing; the real
Drive and Notion ingestors are run through the pipeline at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

import kb.ingest.pipeline
from kb.config import Settings, settings_from_dict
from kb.errors import IngestError
from kb.ingest.chunking import chunk_document
from kb.ingest.pipeline import IngestOptions
from kb.records import Document, IngestIssue, SourceBatch
from kb.runtime import Runtime
from kb.search.index import acl_key
from kb.store.db import open_database
from kb.store.locks import Lease
from kb.store.secrets import SecretFindings
from tests.conftest import NOTION_SAMPLE, ROOT, store_toml

pytestmark = pytest.mark.slow


class FolderIngestor:
    """``<name>.md`` -> document ``notion:<name>``: first line ``# Title``, then optional
    ``Owner:`` / ``ACL:`` lines, then the body. ``*.broken`` files are issues; a file named
    ``INCOMPLETE`` marks the batch incomplete. The folder's name is the export's identity."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def read(self, path: Path) -> SourceBatch:
        batch = SourceBatch(
            source="notion", complete=not (path / "INCOMPLETE").exists(), identity=[path.name]
        )
        for file in sorted(path.glob("*.broken")):
            batch.issues.append(IngestIssue(input=file.name, reason="cannot parse"))
        for file in sorted(path.glob("*.md")):
            title, _, rest = file.read_text().partition("\n")
            fields: dict[str, object] = {}
            lines = rest.split("\n")
            while lines and lines[0].split(":")[0] in ("Owner", "ACL"):
                key, _, value = lines.pop(0).partition(":")
                fields["owner" if key == "Owner" else "acl"] = (
                    value.strip() if key == "Owner" else value.strip().split(",")
                )
            batch.documents.append(
                Document(
                    doc_id=f"notion:{file.stem}",
                    source="notion",
                    title=title.lstrip("# "),
                    text="\n".join(lines),
                    source_path=file.name,
                    **fields,
                )
            )  # type: ignore[arg-type]
        return batch


READERS = {"notion": FolderIngestor}


def write_page(folder: Path, name: str, title: str, body: str, header: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"# {title}\n{header}{body}")


def _corpus(folder: Path) -> None:
    write_page(
        folder,
        "billing",
        "Billing Migration",
        "## Invoicing\n\nInvoices are generated nightly by the ledger job.\n\n"
        "## Refunds\n\nRefunds go through the support queue within five days.\n",
    )
    write_page(
        folder,
        "oncall",
        "On-call handbook",
        "Page the primary first. Escalate to the secondary after 15 minutes.\n",
        header="Owner: sre@acme.example\n",
    )
    write_page(
        folder, "vpn", "VPN setup", "Install the client and sign in with SSO.\n", header="ACL: group:it\n"
    )
    write_page(folder, "empty", "Empty page", "")


def assert_consistent(rt: Runtime) -> None:
    """Chroma and the store hold exactly the same chunks, each document's chunks complete."""
    store_ids = rt.documents.chunk_ids()
    assert rt.index.chunk_ids() == store_ids
    assert rt.index.count() == len(store_ids)
    for doc in rt.documents.list(with_text=True):
        expected = [c.chunk_id for c in chunk_document(doc, rt.settings.index)]
        assert [c.chunk_id for c in rt.documents.chunks_for(doc.doc_id)] == expected


def test_ingest_then_reingest_embeds_nothing(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    first = ingester.ingest("notion", tmp_path / "x")
    ids = ["notion:billing", "notion:empty", "notion:oncall", "notion:vpn"]
    assert sorted(first.added) == ids
    assert first.chunks_embedded == len(runtime.documents.chunk_ids()) >= 4
    assert_consistent(runtime)

    second = ingester.ingest("notion", tmp_path / "x")
    assert second.chunks_embedded == 0
    assert sorted(second.unchanged) == ids
    assert second.added == second.updated == second.removed == []


def test_rules_and_defaults_are_applied_and_searchable(runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings.rules = settings_from_dict(
        {"rules": [{"match": "billing*", "owner": "fin@acme.example", "readers": ["group:finance"]}]}
    ).rules
    _corpus(tmp_path / "x")
    runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    billing = runtime.documents.get("notion:billing")
    assert billing is not None and billing.owner == "fin@acme.example"
    assert billing.resolution["owner"] == "rule 1 (* billing*)"
    assert billing.acl == ["group:finance"]
    vpn = runtime.documents.get("notion:vpn")
    assert vpn is not None and vpn.acl == ["group:it"] and vpn.review_interval_days == 180

    query = runtime.embedder.embed_query("how long do refunds take?")
    assert runtime.index.query(query, k=1)[0].chunk_id == "notion:billing#1"
    only_it = runtime.index.query(query, k=5, acl_keys=[acl_key(["group:it"])])
    assert {h.doc_id for h in only_it} == {"notion:vpn"}


def test_changed_page_reembeds_only_its_chunks(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    write_page(tmp_path / "x", "billing", "Billing Migration", "Moved to the finance wiki.\n")
    report = ingester.ingest("notion", tmp_path / "x")
    assert report.updated == ["notion:billing"]
    assert report.chunks_embedded == 1
    assert sorted(report.unchanged) == ["notion:empty", "notion:oncall", "notion:vpn"]
    assert [c.chunk_id for c in runtime.documents.chunks_for("notion:billing")] == ["notion:billing#0"]
    assert_consistent(runtime)


def test_acl_only_change_updates_metadata_without_embedding(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    write_page(
        tmp_path / "x",
        "vpn",
        "VPN setup",
        "Install the client and sign in with SSO.\n",
        header="ACL: group:it,group:contractors\n",
    )
    report = ingester.ingest("notion", tmp_path / "x")
    assert report.updated == ["notion:vpn"] and report.chunks_embedded == 0
    meta = runtime.index.metadata("notion:vpn#0")
    assert meta is not None and meta["acl_key"] == acl_key(["group:contractors", "group:it"])
    vpn = runtime.documents.get("notion:vpn")
    assert vpn is not None and vpn.acl == ["group:contractors", "group:it"]


def test_page_gone_from_a_complete_export_is_removed(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    before = runtime.index.count()
    billing_chunks = len(runtime.documents.chunks_for("notion:billing"))
    (tmp_path / "x" / "billing.md").unlink()
    report = ingester.ingest("notion", tmp_path / "x", options=IngestOptions(allow_removals=True))
    assert report.removed == ["notion:billing"] and not report.removal_skipped
    assert runtime.documents.get("notion:billing") is None
    assert runtime.index.count() == before - billing_chunks
    assert not any(c.startswith("notion:billing#") for c in runtime.index.chunk_ids())
    assert_consistent(runtime)


def test_incomplete_export_removes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    (tmp_path / "x" / "billing.md").unlink()
    (tmp_path / "x" / "INCOMPLETE").write_text("")
    (tmp_path / "x" / "part2.broken").write_text("")
    report = ingester.ingest("notion", tmp_path / "x")
    assert report.removed == [] and report.removal_skipped
    assert [i.input for i in report.failed] == ["part2.broken"]
    assert runtime.documents.get("notion:billing") is not None
    assert_consistent(runtime)


def test_secrets_are_redacted_before_embedding_and_storing(runtime: Runtime, tmp_path: Path) -> None:
    key = "AKIAIOSFODNN7EXAMPLE"
    write_page(
        tmp_path / "x",
        "creds",
        "DB credentials",
        f"Use key {key}\npassword = hunter2!\n",
        header="Owner: dba@acme.example\n",
    )
    runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    doc = runtime.documents.get("notion:creds")
    assert doc is not None and key not in doc.text and "hunter2" not in doc.text
    assert "[REDACTED:aws-access-key]" in doc.text
    chroma = runtime.index._collection.get(include=["documents"])
    assert all(key not in d and "hunter2" not in d for d in chroma["documents"])
    found = SecretFindings(runtime.db).for_owner("dba@acme.example")
    assert [(f.kind, f.line) for f in found] == [("aws-access-key", 1), ("password-assignment", 2)]


def test_reconcile_drops_orphans_and_restores_missing_vectors(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    orphan = chunk_document(
        Document(doc_id="notion:ghost", source="notion", title="Ghost"), runtime.settings.index
    )
    runtime.index.upsert(orphan, runtime.embedder.embed(["Ghost"]))
    runtime.index.delete_chunks(["notion:oncall#0"])
    report = ingester.ingest("notion", tmp_path / "x")
    assert report.updated == ["notion:oncall"] and report.chunks_embedded == 1
    assert_consistent(runtime)


def _drive_export(folder: Path, names: list[str]) -> None:
    lines = []
    for i, name in enumerate(names):
        local = f"files/f{i}/{name}.md"
        (folder / local).parent.mkdir(parents=True, exist_ok=True)
        (folder / local).write_text(f"# {name}\n\nAll about {name.lower()} at Acme.\n")
        lines.append(
            json.dumps(
                {
                    "id": f"f{i}",
                    "name": f"{name}.md",
                    "mimeType": "text/markdown",
                    "x_local_path": local,
                    "parents": ["acme-root"],
                    "modifiedTime": "2026-10-01T10:00:00Z",
                    "owners": [{"displayName": "Ann", "emailAddress": "ann@acme.example"}],
                    "permissions": [{"type": "group", "role": "reader", "emailAddress": "eng@acme.example"}],
                }
            )
        )
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n")


def test_real_drive_ingestor_end_to_end(runtime: Runtime, tmp_path: Path) -> None:
    _drive_export(tmp_path / "drive", ["Expenses", "Travel policy"])
    ingester = runtime.ingester()
    report = ingester.ingest("drive", tmp_path / "drive")
    assert sorted(report.added) == ["gdrive:f0", "gdrive:f1"] and report.chunks_embedded >= 2
    doc = runtime.documents.get("gdrive:f1")
    assert doc is not None and doc.owner == "ann@acme.example" and doc.title == "Travel policy"
    assert ingester.ingest("gdrive", tmp_path / "drive").chunks_embedded == 0
    assert_consistent(runtime)


def test_real_notion_ingestor_end_to_end(runtime: Runtime) -> None:
    ingester = runtime.ingester()
    report = ingester.ingest("notion", NOTION_SAMPLE)
    assert report.added and report.chunks_embedded >= len(report.added)
    assert all(d.startswith("notion:") for d in report.added)
    again = ingester.ingest("notion", NOTION_SAMPLE)
    assert again.chunks_embedded == 0 and sorted(again.unchanged) == sorted(report.added)
    assert_consistent(runtime)


# -- unchanged fast path ---------------------------------------------------------------------------


def _count_redactions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which documents go through rules + redaction (the real function still runs)."""
    calls: list[str] = []
    real = kb.ingest.pipeline.redact_document

    def counting(doc: Document):  # type: ignore[no-untyped-def]
        calls.append(doc.doc_id)
        return real(doc)

    monkeypatch.setattr(kb.ingest.pipeline, "redact_document", counting)
    return calls


def test_unchanged_documents_skip_rules_and_redaction(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    calls = _count_redactions(monkeypatch)
    write_page(tmp_path / "x", "vpn", "VPN setup", "Use the new client.\n", header="ACL: group:it\n")
    report = ingester.ingest("notion", tmp_path / "x")
    assert calls == ["notion:vpn"]
    assert report.updated == ["notion:vpn"] and report.chunks_embedded == 1
    assert sorted(report.unchanged) == ["notion:billing", "notion:empty", "notion:oncall"]
    calls.clear()
    assert sorted(ingester.ingest("notion", tmp_path / "x").unchanged) == [
        "notion:billing",
        "notion:empty",
        "notion:oncall",
        "notion:vpn",
    ]
    assert calls == []
    assert_consistent(runtime)


def test_config_change_is_applied_to_an_unchanged_export(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    runtime.settings.rules = settings_from_dict(
        {"rules": [{"match": "billing*", "owner": "fin@acme.example"}]}
    ).rules
    report = runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    assert report.updated == ["notion:billing"] and report.chunks_embedded == 0
    billing = runtime.documents.get("notion:billing")
    assert billing is not None and billing.owner == "fin@acme.example"

    runtime.settings.review.default_interval_days = 30
    report = runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    assert len(report.updated) == 4 and report.chunks_embedded == 0
    assert all(d.review_interval_days == 30 for d in runtime.documents.list())


def test_chunking_change_rechunks_and_reembeds_everything(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    before = runtime.documents.chunk_ids()
    runtime.settings.index.chunk_size = 64
    runtime.settings.index.chunk_overlap = 0
    report = runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    assert len(report.updated) == 4 and report.unchanged == []
    # Nothing reused: the stored vectors were made for the old chunking (kb.ingest.reuse).
    assert report.chunks_embedded == len(runtime.documents.chunk_ids()) >= len(before)
    assert report.chunks_reused == 0
    assert_consistent(runtime)
    again = runtime.ingester(READERS).ingest("notion", tmp_path / "x")
    assert again.chunks_embedded == 0 and len(again.unchanged) == 4


def test_record_changed_since_its_raw_hash_is_rebuilt(runtime: Runtime, tmp_path: Path) -> None:
    """A raw hash only vouches for the record it was stored with."""
    _corpus(tmp_path / "x")
    ingester = runtime.ingester(READERS)
    ingester.ingest("notion", tmp_path / "x")
    oncall = runtime.documents.get("notion:oncall")
    assert oncall is not None
    runtime.documents.upsert(oncall.model_copy(update={"owner": "someone@else.example"}))
    report = ingester.ingest("notion", tmp_path / "x")
    assert report.updated == ["notion:oncall"]
    restored = runtime.documents.get("notion:oncall")
    assert restored is not None and restored.owner == "sre@acme.example"


# -- crash recovery -------------------------------------------------------------------------------

DRIVER = """
import sys
from pathlib import Path
from kb.config import load_settings
from kb.ingest.pipeline import Ingester, IngestOptions
from kb.runtime import Runtime
from tests.kb.ingest.test_pipeline import READERS
Runtime(load_settings(sys.argv[1])).ingester(READERS).ingest("notion", Path(sys.argv[2]))
"""


def _big_corpus(folder: Path, version: int, n: int) -> None:
    for i in range(n):
        sections = 1 if version == 1 else 3
        body = "".join(
            f"## Part {s}\n\nVersion {version} of topic {i}, section {s}: the service "
            f"number {i} handles request type {s}.\n\n"
            for s in range(sections)
        )
        write_page(folder, f"page{i:03d}", f"Topic {i}", body)


@pytest.mark.parametrize("delay", [0.0, 0.6])
def test_kill_mid_ingest_then_rerun_converges(runtime: Runtime, tmp_path: Path, delay: float) -> None:
    """Killed right after its first commit, or a little later (often mid-write to Chroma)."""
    n = 90
    corpus = tmp_path / "corpus"
    _big_corpus(corpus, 1, n)
    runtime.ingester(READERS).ingest("notion", corpus)  # version 1: one chunk per page
    _big_corpus(corpus, 2, n)  # version 2: three chunks per page, all re-embedded

    config = tmp_path / "config.toml"
    # Small groups: the killed run must have committed some groups and not others.
    config.write_text(
        f'[data]\ndir = "{runtime.settings.data.dir}"\n\n[ingest]\nembed_group_chunks = 32\n\n'
        + store_toml(runtime.settings)
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(config), str(corpus)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    updated = 0
    deadline = time.monotonic() + 240
    probe = runtime.db
    while time.monotonic() < deadline and proc.poll() is None:
        updated = probe.execute("SELECT COUNT(*) FROM chunks WHERE text LIKE 'Version 2%'").fetchone()[0]
        if updated > 0:
            break
        time.sleep(0.02)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert 0 < updated < n * 3

    rt = Runtime(runtime.settings, embedder=runtime.embedder, clock=runtime.clock)
    try:
        report = rt.ingester(READERS).ingest("notion", corpus)
        assert report.chunks_embedded > 0 and not report.added and not report.removed
        assert_consistent(rt)
        assert rt.index.count() == n * 3
        assert all(c.text.startswith("Version 2") for c in rt.documents.chunks())
        assert rt.ingester(READERS).ingest("notion", corpus).chunks_embedded == 0
    finally:
        rt.close()


# -- one ingest at a time -------------------------------------------------------------------------


def test_ingest_fails_fast_while_another_run_holds_the_lock(runtime: Runtime, tmp_path: Path) -> None:
    _corpus(tmp_path / "x")
    other = Lease(open_database(runtime.settings), "ingest", stale_after=timedelta(minutes=2))
    assert other.acquire() is None
    try:
        with pytest.raises(IngestError, match="another ingest is running") as err:
            runtime.ingester(READERS).ingest("notion", tmp_path / "x")
        assert f"pid {os.getpid()} on {socket.gethostname()}, started " in str(err.value)
        assert runtime.documents.count() == 0
    finally:
        other.release()
    assert len(runtime.ingester(READERS).ingest("notion", tmp_path / "x").added) == 4


def test_second_ingest_process_is_refused_and_the_first_completes(runtime: Runtime, tmp_path: Path) -> None:
    n = 90
    corpus = tmp_path / "corpus"
    _big_corpus(corpus, 2, n)
    ingester = runtime.ingester(READERS)  # creates the store before the other process starts
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{runtime.settings.data.dir}"\n\n[ingest]\nembed_group_chunks = 32\n\n'
        + store_toml(runtime.settings)
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(config), str(corpus)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        holder = None
        deadline = time.monotonic() + 120
        while holder is None and time.monotonic() < deadline and proc.poll() is None:
            row = runtime.db.execute("SELECT pid FROM leases WHERE name = 'ingest'").fetchone()
            holder = row[0] if row else None
            time.sleep(0.02)
        assert holder == proc.pid, "the first run never took the lock"
        started = time.monotonic()
        with pytest.raises(IngestError, match=f"pid {proc.pid} on "):
            ingester.ingest("notion", corpus)
        assert time.monotonic() - started < 5
        assert proc.wait(timeout=240) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_consistent(runtime)
    assert runtime.index.count() == n * 3
    assert ingester.ingest("notion", corpus).chunks_embedded == 0
