"""The multi-host topology of ``deploy/compose.yaml``, as processes on loopback (Docker does not run
here): one PostgreSQL, one ``chroma run`` server, two ``kb serve`` workers. A review made through
one worker and an ingest made beside them are seen by the other worker on its next request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.auth import hash_token
from kb.config import load_settings
from kb.runtime import Runtime
from tests.conftest import ROOT
from tests.kb.ingest.test_pipeline import READERS, write_page
from tests.kb.search.test_chroma_server import _free_port, chroma_server  # noqa: F401 (fixture)
from tests.postgres import PASSWORD_ENV, PostgresServer

pytestmark = pytest.mark.slow
ADMIN = {"Authorization": "Bearer tok-admin"}


def _config(tmp_path: Path, chroma_url: str, store_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[data]\ndir = "{tmp_path / "data"}"\n\n[index]\nchroma_url = "{chroma_url}"\n\n'
        f'[store]\nurl = "{store_url}"\npassword_env = "{PASSWORD_ENV}"\n\n'
        f'[[auth.tokens]]\nsha256 = "{hash_token("tok-admin")}"\nuser = "root@acme.test"\nadmin = true\n'
    )
    return config


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"worker did not start: {log.read_text()[-3000:]}")


@pytest.fixture
def workers(tmp_path: Path, config: Path) -> Iterator[list[str]]:
    procs, urls = [], []
    try:
        for n in range(2):
            port = _free_port()
            log = tmp_path / f"worker{n}.log"
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "kb.cli", "serve", "--config", str(config), "--port", str(port)],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for n, (url, proc) in enumerate(zip(urls, procs, strict=True)):
            _wait_healthy(url, proc, tmp_path / f"worker{n}.log")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def config(tmp_path: Path, postgres: PostgresServer, chroma_server: tuple[str, object]) -> Path:  # noqa: F811
    return _config(tmp_path, chroma_server[0], postgres.create_database())


def _search(url: str, question: str) -> list[dict[str, object]]:
    r = httpx.post(f"{url}/v1/search", json={"question": question}, headers=ADMIN, timeout=60)
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_two_workers_see_each_others_reviews_and_new_ingests(
    tmp_path: Path,
    config: Path,
    embedder,
    request: pytest.FixtureRequest,  # type: ignore[no-untyped-def]
) -> None:
    corpus = tmp_path / "corpus"
    write_page(corpus, "billing", "Billing Migration", "Invoices are generated nightly by the ledger job.\n")
    write_page(corpus, "oncall", "On-call handbook", "Page the primary first, then the secondary.\n")
    rt = Runtime(load_settings(config), embedder=embedder)
    try:
        assert len(rt.ingester(READERS).ingest("notion", corpus).added) == 2
        a, b = request.getfixturevalue("workers")

        [billing] = [
            h for h in _search(b, "how are invoices generated?") if h["title"] == "Billing Migration"
        ]
        doc_id = str(billing["doc_id"])
        assert httpx.get(f"{b}/v1/docs/{doc_id}", headers=ADMIN, timeout=30).json()["reviews"] == []

        # A review through worker A is in worker B's very next answer.
        r = httpx.post(
            f"{a}/v1/docs/{doc_id}/review", json={"note": "still right"}, headers=ADMIN, timeout=30
        )
        assert r.status_code == 200, r.text
        detail = httpx.get(f"{b}/v1/docs/{doc_id}", headers=ADMIN, timeout=30).json()
        assert [(x["reviewer"], x["note"]) for x in detail["reviews"]] == [("root@acme.test", "still right")]

        # A new document ingested beside the workers (the shared store and Chroma server) is found
        # by both on their next search, without a restart.
        write_page(corpus, "vpn", "VPN Setup", "Install WireGuard and import the acme.conf profile.\n")
        assert len(rt.ingester(READERS).ingest("notion", corpus).added) == 1
        for url in (a, b):
            assert _search(url, "how do I set up wireguard vpn?")[0]["title"] == "VPN Setup"
    finally:
        rt.close()
