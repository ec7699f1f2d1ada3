"""``kb serve`` writes every audit entry it queued when it is stopped: a real ``kb serve``
process (uvicorn) answers N requests with their entries still queued, then SIGTERM (or Ctrl-C)
leaves exactly N rows, in request order, and the command exits 0. A restart loses nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kb.runtime import Runtime

pytestmark = pytest.mark.slow

TOKEN = "shutdown-token"


def _copy_data(runtime: Runtime, to: Path) -> None:
    """A private copy of the example store and Chroma index: the server writes the store."""
    to.mkdir()
    src, dst = sqlite3.connect(runtime.settings.store_path), sqlite3.connect(to / "kb.sqlite")
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(runtime.settings.data.dir / "chroma", to / "chroma")


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    config.write_text(
        f'[data]\ndir = "{tmp_path / "data"}"\n\n'
        "[audit]\nflush_seconds = 3600  # nothing is written before the shutdown\n\n"
        f'[[auth.tokens]]\nsha256 = "{digest}"\nuser = "alice.chen@acme.com"\n'
        'groups = ["engineering@acme.com"]\n'
    )
    return config


def _rows(store: Path) -> list[str]:
    with sqlite3.connect(store) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit'").fetchone() is None:
            return []
        return [r[0] for r in conn.execute("SELECT query FROM audit ORDER BY id")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    root = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": root, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve", "-c", str(config), "--port", str(port)],
            env={**env, "ANONYMIZED_TELEMETRY": "False"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_healthy(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(log.read_text())


def _run(config: Path, log: Path, queries: list[str], stop: signal.Signals) -> int:
    """Serve, send one request per query (every fourth an ask), stop with ``stop``; returns the
    exit status. Asserts the entries were queued, not written, while it served."""
    store = config.parent / "data" / "kb.sqlite"
    before = len(_rows(store))
    port = _free_port()
    proc = _serve(config, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base, log)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for i, q in enumerate(queries):
                path, key = ("/v1/ask", "question") if i % 4 == 0 else ("/v1/search", "query")
                r = http.post(path, json={key: q})
                assert r.status_code == 200, r.text
        assert len(_rows(store)) == before  # queued: not written on the request path
        proc.send_signal(stop)
        return proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_writes_every_queued_entry(example_runtime: Runtime, tmp_path: Path) -> None:
    _copy_data(example_runtime, tmp_path / "data")
    config = _config(tmp_path)
    store = tmp_path / "data" / "kb.sqlite"
    before = _rows(store)
    queries = [f"postgres failover {i}" for i in range(20)]
    assert _run(config, tmp_path / "serve.log", queries, signal.SIGTERM) == 0
    assert _rows(store) == before + queries  # every one, in request order


def test_a_restart_loses_nothing_queued(example_runtime: Runtime, tmp_path: Path) -> None:
    _copy_data(example_runtime, tmp_path / "data")
    config = _config(tmp_path)
    store = tmp_path / "data" / "kb.sqlite"
    before = _rows(store)
    first = [f"invoices run {i}" for i in range(7)]
    second = [f"parental leave run {i}" for i in range(9)]
    assert _run(config, tmp_path / "serve.log", first, signal.SIGTERM) == 0
    assert _run(config, tmp_path / "serve.log", second, signal.SIGINT) == 0  # Ctrl-C
    assert _rows(store) == before + first + second
