"""``/v1/search`` and ``/v1/ask`` throughput and p50/p95 with 1, 2 and 4 API workers on PostgreSQL
+ a ``chroma run`` server, beside the single-process default (SQLite + embedded Chroma): the
topology of ``deploy/compose.yaml`` as processes on loopback.

    python -m benchmarks.workers --work /tmp/kb-workers --seconds 40 --out reports/workers

The corpus is the bundled examples (60 documents), ingested once into SQLite + embedded Chroma
under ``--work`` (reused when there), then copied into a PostgreSQL 15 server the benchmark
starts (``kb migrate``'s copy: nothing re-embedded) while ``chroma run`` serves the same Chroma
directory. Each configuration's workers are ``kb serve`` processes (``benchmarks.serve``) on
their own ports; the load client takes them in turn, as a round-robin balancer would. The mix:
the example golden questions, asked by the four demo tokens of ``config.toml``.

Everything shares this machine's cores with the load client and the servers (and with whoever
else runs here): the 1-minute load average is recorded beside every row.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load import run_load
from benchmarks.serve import Server
from kb.clock import FixedClock
from kb.config import Settings, load_settings
from kb.runtime import Runtime
from kb.store.copy import copy_store
from kb.store.db import open_database
from kb.store.documents import DocumentStore
from tests.postgres import PASSWORD_ENV, PostgresServer, bin_dir

ROOT = Path(__file__).resolve().parent.parent
TOKENS = ["demo-alice", "demo-sam", "demo-hana", "demo-admin"]
ENDPOINTS = ("search", "ask")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_settings(work: Path) -> Settings:
    settings = load_settings(ROOT / "config.toml")
    settings.data.dir = work / "data"
    settings.store.path = None
    return settings


def ingest(settings: Settings) -> None:
    if settings.store_path.exists():
        return
    from tests.conftest import EXAMPLE_NOW

    rt = Runtime(settings, clock=FixedClock(EXAMPLE_NOW))
    try:
        ingester = rt.ingester()
        ingester.ingest("notion", ROOT / "examples" / "notion" / "acme-notion-export.zip")
        ingester.ingest("gdrive", ROOT / "examples" / "drive")
    finally:
        rt.close()


def start_chroma(path: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"chroma run did not start: {log_path.read_text()[-2000:]}")


def measure(urls: list[str], bodies: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    headers = [{"Authorization": f"Bearer {t}"} for t in TOKENS]
    out: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        targets = [f"{u}/v1/{endpoint}" for u in urls]
        run_load(
            targets, bodies, clients=len(urls), max_requests=4 * len(urls), max_seconds=60, headers=headers
        )
        res = run_load(
            targets,
            bodies,
            clients=args.clients,
            max_requests=10**6,
            max_seconds=args.seconds,
            headers=headers,
        )
        out[endpoint] = res.summary() | {"load1": round(os.getloadavg()[0], 2)}
        log(f"  /v1/{endpoint}: {out[endpoint]}")
    return out


def run_config(
    name: str,
    settings: Settings,
    workers: int,
    work: Path,
    bodies: list[dict[str, Any]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    config = work / f"{name}.json"
    config.write_text(settings.model_dump_json())
    servers = [Server(config, free_port(), log=work / f"{name}-{n}.log") for n in range(workers)]
    try:
        for s in servers:
            s.wait()
        log(f"{name}: {workers} worker(s) up")
        return {"config": name, "workers": workers, **measure([s.url for s in servers], bodies, args)}
    finally:
        for s in servers:
            s.stop()


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| configuration | workers | endpoint | req/s | p50 ms | p95 ms | errors | load1 |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        for endpoint in ENDPOINTS:
            r = row[endpoint]
            lines.append(
                f"| {row['config']} | {row['workers']} | /v1/{endpoint} | {r['rps']} | {r['p50_ms']} | "
                f"{r['p95_ms']} | {r['errors']} | {r['load1']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-workers"))
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "workers")
    parser.add_argument("--workers", default="1,2,4", help="API worker counts on PostgreSQL + Chroma server")
    parser.add_argument("--seconds", type=float, default=40, help="Load per endpoint and configuration")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    golden = (ROOT / "evals" / "golden" / "example.jsonl").read_text().splitlines()
    bodies = [{"question": json.loads(line)["question"]} for line in golden if line.strip()]

    sqlite = base_settings(args.work)
    log("ingesting the examples (once per --work)")
    ingest(sqlite)
    bindir = bin_dir()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin)")
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    pg = PostgresServer(bindir).start()
    chroma_dir = args.work / "chroma-served"
    chroma: subprocess.Popen[bytes] | None = None
    rows: list[dict[str, Any]] = []
    documents = 0
    try:
        rows.append(run_config("sqlite+embedded", sqlite, 1, args.work, bodies, args))
        shared = sqlite.model_copy(deep=True)
        shared.store.url = pg.create_database("bench")
        shared.store.password_env = PASSWORD_ENV
        source, destination = open_database(sqlite), open_database(shared)
        try:
            report = copy_store(source, destination)
            documents = DocumentStore(destination).count()
        finally:
            source.dispose()
            destination.dispose()
        if not report.ok:
            raise SystemExit(f"the copy into PostgreSQL does not match: {report}")
        shutil.rmtree(chroma_dir, ignore_errors=True)
        shutil.copytree(sqlite.chroma_path, chroma_dir)
        port = free_port()
        chroma = start_chroma(chroma_dir, port, args.work / "chroma.log")
        shared.index.chroma_url = f"http://127.0.0.1:{port}"
        for n in (int(x) for x in args.workers.split(",")):
            rows.append(run_config(f"postgresql+chroma-server-{n}", shared, n, args.work, bodies, args))
    finally:
        if chroma is not None:
            chroma.terminate()
            chroma.wait(30)
        pg.stop()
    result = {
        "started": started,
        "uptime_before": uptime_before,
        "uptime_after": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "seconds": args.seconds,
        "documents": documents,
        "rows": rows,
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    (args.out / "table.md").write_text(table(rows) + "\n")
    print(table(rows))
    print(f"\n{result['uptime_before']}\n{result['uptime_after']}")


if __name__ == "__main__":
    main()
