"""Server mode: ingest and query through a real ``chroma run`` server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.config import settings_from_dict
from kb.errors import StoreError
from kb.runtime import Runtime
from tests.kb.ingest.test_pipeline import READERS, assert_consistent, write_page

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).with_name("chroma")  # the venv running the tests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()}")
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ingest_and_query_through_a_chroma_server(chroma_server, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    url, proc = chroma_server
    settings = settings_from_dict(
        {"data": {"dir": str(tmp_path / "data")}, "index": {"chroma_url": url, "collection": "server-test"}}
    )
    write_page(tmp_path / "x", "refunds", "Refunds", "Refunds go through the support queue.\n")
    write_page(tmp_path / "x", "vpn", "VPN setup", "Install the client and sign in with SSO.\n")
    rt = Runtime(settings, embedder=embedder)
    try:
        report = rt.ingester(READERS).ingest("notion", tmp_path / "x")
        assert sorted(report.added) == ["notion:refunds", "notion:vpn"]
        assert rt.index.location == url
        assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the embedded store
        hits = rt.index.query(embedder.embed_query("how do I connect to the VPN?"), k=2)
        assert hits[0].doc_id == "notion:vpn" and hits[0].score > hits[1].score
        assert_consistent(rt)
        assert rt.ingester(READERS).ingest("notion", tmp_path / "x").chunks_embedded == 0

        proc.terminate()
        proc.wait(timeout=10)
        with pytest.raises(StoreError) as err:
            rt.index.count()
        assert err.value.subject == url
    finally:
        rt.close()
