"""The one benchmark command: ingestion throughput, re-ingest, query latency under concurrent load,
memory, and the naive baseline, at each corpus size.

    .venv/bin/python -m benchmarks.run --sizes 1000,17000 --out reports/bench

Per size: generate a synthetic Notion export (and the same export with 1% of pages edited), ingest
it with ``kb.ingest.pipeline.Ingester`` in a subprocess (peak RSS sampled), re-ingest it unchanged, ingest
the 1%-changed export, ingest it with the naive llama-index pipeline, then start FreshKB's API
(and the naive server) as uvicorn subprocesses and load /v1/search and /v1/ask with 1, 8 and 32
concurrent clients on loopback. Sizes up to ``--real-max`` documents are embedded by the real model
and compared with the model alone on the same texts; larger sizes use pooled embeddings (see
``benchmarks.embedders``) so their index can be built in minutes: their ingest rows measure the
pipeline without the model, and their query rows serve a real index of that many chunks.
Prints a table with PASS/FAIL per target and writes ``results.json`` and ``table.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.load import run_load
from benchmarks.report import render
from benchmarks.rss import PeakRSS
from benchmarks.serve import Server
from benchmarks.synth import bench_config, generate, queries

ROOT = Path(__file__).resolve().parent.parent
USERS = ["eng-1@acme.test", "eng-2@acme.test", "sec-1@acme.test", "eng-3@acme.test", "admin-1@acme.test"]


def log(msg: str) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{time.strftime('%H:%M:%S')} load {load}] {msg}", file=sys.stderr, flush=True)


def run_worker(
    config: Path,
    export: Path,
    args: argparse.Namespace,
    *,
    pipeline: str = "ours",
    mode: str = "real",
    raw: bool = False,
    floor: int = 0,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.ingest_worker",
        str(config),
        str(export),
        "--pipeline",
        pipeline,
        "--mode",
        mode,
        "--cache",
        str(args.cache),
    ]
    cmd += ["--raw"] if raw else []
    cmd += ["--floor", str(floor)] if floor else []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    with PeakRSS(proc.pid) as peak:
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"ingest worker failed ({proc.returncode}): {err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["rss_mb"] = peak.mb
    result["loadavg_1m"] = round(os.getloadavg()[0], 1)  # other processes share the 2 cores
    return result


def unique_queries(n: int) -> list[str]:
    """``n`` distinct generated questions (the generator repeats itself across seeds)."""
    out: dict[str, None] = {}
    seed = 0
    while len(out) < n:
        out.update(dict.fromkeys(queries(n, seed=100 + seed)))
        seed += 1
        if seed > 50:
            raise RuntimeError(f"the query generator has fewer than {n} distinct questions")
    return list(out)[:n]


def serve_and_load(
    config: Path, port: int, args: argparse.Namespace, tokens: list[str], *, naive: bool, log_path: Path
) -> dict[str, Any]:
    server = Server(config, port, naive=naive, log=log_path)
    try:
        with PeakRSS(server.proc.pid) as peak:
            startup = server.wait()
            # Headline phases never repeat a question (FreshKB caches query vectors): every request
            # of the run takes the next question of one pool of distinct ones.
            pool = iter(unique_queries(2 * (len(args.clients) + 1) * args.requests + 6))
            headers = [{"Authorization": f"Bearer {t}"} for t in tokens] if not naive else [{}]
            endpoints = {"search": "query"} if naive else {"search": "query", "ask": "question"}
            loads: dict[str, list[dict[str, Any]]] = {}
            peaks: dict[str, float] = {}  # peak RSS up to the end of each endpoint's phases
            for name, key in endpoints.items():
                url = f"{server.url}/v1/{name}"
                warm = [{key: next(pool)} for _ in range(6)]
                run_load(url, warm, clients=2, max_requests=6, max_seconds=30, headers=headers)
                loads[name] = []
                for clients in args.clients:
                    bodies = [{key: next(pool)} for _ in range(args.requests)]
                    res = run_load(
                        url,
                        bodies,
                        clients=clients,
                        max_requests=args.requests,
                        max_seconds=args.seconds,
                        headers=headers,
                    )
                    loads[name].append({**res.summary(), "loadavg_1m": round(os.getloadavg()[0], 1)})
                    log(f"  {'naive' if naive else 'ours'} {name} x{clients}: {loads[name][-1]}")
                # Reported apart: questions asked before (the query-vector cache answers them).
                res = run_load(
                    url,
                    warm,
                    clients=1,
                    max_requests=min(args.requests, 60),
                    max_seconds=args.seconds,
                    headers=headers,
                )
                loads[name].append(
                    {**res.summary(), "repeated": True, "loadavg_1m": round(os.getloadavg()[0], 1)}
                )
                log(f"  {'naive' if naive else 'ours'} {name} x1 repeated: {loads[name][-1]}")
                peaks[name] = peak.mb
        return {"startup_s": round(startup, 1), "rss_mb": peak.mb, "rss_mb_by_endpoint": peaks, "load": loads}
    finally:
        server.stop()


def bench_size(docs: int, args: argparse.Namespace, port: int) -> dict[str, Any]:
    work = args.work / f"d{docs}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    base = generate(work / "export.zip", docs)
    changed = generate(work / "export-1pct.zip", docs, changed_every=100)
    tokens = [secrets.token_urlsafe(16) for _ in USERS]
    from kb.auth import hash_token

    config = work / "config.json"
    config.write_text(
        json.dumps(
            bench_config(work / "data", {hash_token(t): u for t, u in zip(tokens, USERS, strict=True)})
        )
    )
    mode = "real" if docs <= args.real_max else "pooled"
    log(f"{docs} docs: ingest ({mode} embeddings)")
    ours = run_worker(config, base.path, args, mode=mode, raw=mode == "real", floor=args.queries)
    log(f"  ours: {ours}")
    unchanged = run_worker(config, base.path, args, mode=mode)
    log(f"  unchanged re-ingest: {unchanged}")
    chg = run_worker(config, changed.path, args, mode=mode)
    log(f"  1% changed re-ingest: {chg}")
    naive = None
    if docs <= args.naive_max:
        naive = run_worker(config, base.path, args, pipeline="naive", mode=mode)
        log(f"  naive: {naive}")
    overhead = None
    if ours.get("raw_seconds"):
        overhead = round((ours["seconds"] / ours["raw_seconds"] - 1) * 100, 1)
    result: dict[str, Any] = {
        "docs": ours["documents"],
        "generated_docs": docs,
        "chunks": chg["index_chunks"],
        "ingest": {
            "ours": ours,
            "unchanged": unchanged,
            "changed": chg,
            "naive": naive,
            "overhead_pct": overhead,
        },
        "query_floor": ours.get("query_floor"),
        "serve": {},
    }
    log(f"{docs} docs: serving")
    result["serve"]["ours"] = serve_and_load(
        config, port, args, tokens, naive=False, log_path=work / "serve-ours.log"
    )
    if naive is not None:
        result["serve"]["naive"] = serve_and_load(
            config, port + 1, args, tokens, naive=True, log_path=work / "serve-naive.log"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000", help="comma-separated document counts")
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/freshkb-bench"))
    parser.add_argument("--cache", type=Path, help="embedding cache (default WORK/embed-cache.sqlite)")
    parser.add_argument("--real-max", type=int, default=2000, help="largest size embedded by the model")
    parser.add_argument("--naive-max", type=int, default=1_000_000, help="largest size for the naive run")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--requests", type=int, default=300, help="max requests per load phase")
    parser.add_argument("--seconds", type=float, default=30.0, help="max seconds per load phase")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--port", type=int, default=18700)
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    args.cache = args.cache or args.work / "embed-cache.sqlite"
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "sizes": [],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for i, size in enumerate(int(s) for s in args.sizes.split(",")):
        results["sizes"].append(bench_size(size, args, args.port + 10 * i))
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
    results["seconds"] = round(time.time() - started, 1)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    table = render(results)
    (args.out / "table.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
