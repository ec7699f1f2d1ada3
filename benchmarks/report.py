"""The benchmark's printed table and its PASS/FAIL verdict per target, from run.py's results."""

from __future__ import annotations

from typing import Any

TARGET_CHUNKS = 50_000
TARGETS = {
    "overhead_pct": 15.0,  # ingestion time beyond embedding alone
    "unchanged_10k_s": 10.0,  # re-ingest of an unchanged 10k-document export
    "search_p50_ms": 30.0,  # /v1/search at 50k chunks, 8 clients
    "search_p95_ms": 80.0,
    "serve_rss_mb": 1536.0,  # serving RSS at 50k chunks
}


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}{unit}"
    return f"{v}{unit}"


def ingest_rows(sizes: list[dict[str, Any]]) -> list[str]:
    out = [
        "| docs | chunks | embeddings | ours docs/s | ours chunks/s | model in pipeline chunks/s "
        "| model alone chunks/s | overhead | pipeline s outside model | naive docs/s (chunks) "
        "| unchanged re-ingest | 1% changed re-ingest | ingest RSS ours / naive |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        ing = s["ingest"]
        ours, naive = ing["ours"], ing.get("naive") or {}
        docs_s = ours["documents"] / ours["seconds"] if ours["seconds"] else None
        chunks_s = ours["chunks_embedded"] / ours["seconds"] if ours["seconds"] else None
        raw = ours.get("raw_seconds")
        raw_s = ours["raw_texts"] / raw if raw else None
        naive_s = naive["documents"] / naive["seconds"] if naive.get("seconds") else None
        in_model = ours["chunks_embedded"] / ours["embed_seconds"] if ours["mode"] == "real" else None
        outside = ours["seconds"] - ours["embed_seconds"]
        unch, chg = ing["unchanged"], ing["changed"]
        naive_txt = f"{naive_s:.1f} ({naive['chunks_embedded']:,})" if naive_s else "-"
        out.append(
            f"| {s['docs']:,} | {ours['index_chunks']:,} | {ours['mode']} | {_fmt(docs_s)} "
            f"| {_fmt(chunks_s)} | {_fmt(in_model)} | {_fmt(raw_s)} | {_fmt(ing.get('overhead_pct'), '%')} "
            f"| {outside:.1f} | {naive_txt} "
            f"| {unch['seconds']:.1f}s ({unch['chunks_embedded']} embedded) "
            f"| {chg['seconds']:.1f}s ({chg['updated']} docs, {chg['chunks_embedded']} chunks) "
            f"| {_fmt(ours.get('rss_mb'))} / {_fmt(naive.get('rss_mb'))} MB |"
        )
    return out


def query_rows(sizes: list[dict[str, Any]]) -> list[str]:
    out = [
        "| docs | chunks | server | endpoint | clients | requests | errors | p50 ms | p95 ms | p99 ms "
        "| req/s | serve peak RSS MB (so far) |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        for server, data in s.get("serve", {}).items():
            for endpoint, runs in data.get("load", {}).items():
                for r in runs:
                    what = f"{endpoint} (repeated questions)" if r.get("repeated") else endpoint
                    out.append(
                        f"| {s['docs']:,} | {s['chunks']:,} | {server} | {what} | {r['clients']} "
                        f"| {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} "
                        f"| {r['p99_ms']} | {r['rps']} "
                        f"| {_fmt(data.get('rss_mb_by_endpoint', {}).get(endpoint, data.get('rss_mb')))} |"
                    )
        floor = s.get("query_floor")
        if floor:
            out.append(
                f"| {s['docs']:,} | {s['chunks']:,} | model | query embedding alone | 1 | - | - "
                f"| {floor['p50_ms']} | {floor['p95_ms']} | - | - | - |"
            )
    return out


def _load(
    s: dict[str, Any], endpoint: str, clients: int, server: str = "ours", *, repeated: bool = False
) -> dict[str, Any] | None:
    runs = s.get("serve", {}).get(server, {}).get("load", {}).get(endpoint, [])
    return next((r for r in runs if r["clients"] == clients and r.get("repeated", False) == repeated), None)


# Issue 14's table: (measure, goal as a ratio, which sizes it is judged at).
def issue14_rows(sizes: list[dict[str, Any]]) -> list[str]:
    """Each ratio of issue 14 with PASS/FAIL (headline phases use unique questions; the cache's
    repeated-question phase is a row of its own)."""
    out = [
        "| docs | chunks | measure | value | ratio | goal | verdict |",
        "|---:|---:|---|---:|---:|---:|---|",
    ]
    for s in sizes:
        row = _issue14(s)
        out += [
            f"| {s['docs']:,} | {s['chunks']:,} | {m} | {v} | {r} | {g} | {vd} |" for m, v, r, g, vd in row
        ]
    return out


def _issue14(s: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []
    floor = (s.get("query_floor") or {}).get("p50_ms")
    big = s["chunks"] >= TARGET_CHUNKS
    s1, s8 = _load(s, "search", 1), _load(s, "search", 8)
    a1, a8 = _load(s, "ask", 1), _load(s, "ask", 8)
    n8 = _load(s, "search", 8, "naive")
    rep = _load(s, "search", 1, repeated=True)
    if floor:
        rows.append(("query embedding alone p50 (the floor)", f"{floor} ms", "", "", ""))
    if floor and s1:
        goal = 1.6 if big else 1.3
        ratio = s1["p50_ms"] / floor
        rows.append(
            (
                "/v1/search p50, 1 client",
                f"{s1['p50_ms']} ms",
                f"{ratio:.2f}x floor",
                f"<= {goal}x",
                _pf(ratio <= goal),
            )
        )
    if s8 and n8:
        ratio = s8["rps"] / n8["rps"]
        rows.append(
            (
                "/v1/search req/s, 8 clients",
                f"{s8['rps']} (naive {n8['rps']})",
                f"{ratio:.2f}x naive",
                ">= 2.5x",
                _pf(ratio >= 2.5),
            )
        )
    if a1 and s1:
        ratio = a1["p50_ms"] / s1["p50_ms"]
        rows.append(
            ("/v1/ask p50, 1 client", f"{a1['p50_ms']} ms", f"{ratio:.2f}x search", "<= 2x", _pf(ratio <= 2))
        )
    if a8 and s8:
        ratio = a8["rps"] / s8["rps"]
        rows.append(
            (
                "/v1/ask req/s, 8 clients",
                f"{a8['rps']}",
                f"{ratio:.0%} of search",
                ">= 50%",
                _pf(ratio >= 0.5),
            )
        )
    if rep and s1:
        rows.append(
            (
                "/v1/search p50, repeated questions (cache)",
                f"{rep['p50_ms']} ms",
                f"{rep['p50_ms'] / s1['p50_ms']:.2f}x unique",
                "",
                "info",
            )
        )
    rss = s.get("serve", {}).get("ours", {}).get("rss_mb")
    if big and rss is not None:
        rows.append(("serving peak RSS", f"{rss:,.0f} MB", "", "<= 1,000 MB", _pf(rss <= 1000)))
    ing = s["ingest"]
    pct = ing.get("overhead_pct")
    if pct is not None:
        rows.append(("ingest overhead over the model", f"{pct}%", "", "<= 10%", _pf(pct <= 10)))
    ours, naive = ing["ours"], ing.get("naive")
    if naive and naive.get("seconds") and ours.get("seconds"):
        ratio = (ours["documents"] / ours["seconds"]) / (naive["documents"] / naive["seconds"])
        rows.append(
            ("ingest docs/s", f"{ours['documents'] / ours['seconds']:.1f}", f"{ratio:.2f}x naive", "", "info")
        )
    return rows


def verdicts(sizes: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(target, PASS/FAIL/NOT MEASURED, the numbers)."""
    out = []
    real = [s for s in sizes if s["ingest"].get("overhead_pct") is not None]
    if real:
        worst = max(real, key=lambda s: s["ingest"]["overhead_pct"])
        pct = worst["ingest"]["overhead_pct"]
        out.append(
            (
                "ingestion overhead beyond embedding <= 15%",
                _pf(pct <= TARGETS["overhead_pct"]),
                f"{pct:.1f}% at {worst['docs']:,} docs (real embeddings)",
            )
        )
    else:
        out.append(("ingestion overhead beyond embedding <= 15%", "NOT MEASURED", "no real-embedding size"))
    big = [s for s in sizes if s["docs"] >= 10_000]
    if big:
        s = big[0]
        sec = s["ingest"]["unchanged"]["seconds"]
        out.append(
            (
                "unchanged re-ingest of 10k docs < 10 s",
                _pf(sec < TARGETS["unchanged_10k_s"]),
                f"{sec:.1f}s for {s['docs']:,} docs",
            )
        )
    else:
        out.append(("unchanged re-ingest of 10k docs < 10 s", "NOT MEASURED", "no size >= 10k docs"))
    at = [s for s in sizes if s["chunks"] >= TARGET_CHUNKS and _load(s, "search", 8)]
    if at:
        s = at[0]
        r = _load(s, "search", 8)
        assert r is not None
        ok = r["p50_ms"] <= TARGETS["search_p50_ms"] and r["p95_ms"] <= TARGETS["search_p95_ms"]
        out.append(
            (
                "/v1/search at 50k chunks, 8 clients: p50 <= 30 ms, p95 <= 80 ms",
                _pf(ok),
                f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms at {s['chunks']:,} chunks",
            )
        )
        rss = s["serve"]["ours"].get("rss_mb")
        ok = rss is not None and rss <= TARGETS["serve_rss_mb"]
        out.append(("serving RSS at 50k chunks <= 1.5 GB", _pf(ok), f"{rss} MB at {s['chunks']:,} chunks"))
    else:
        out.append(("/v1/search at 50k chunks, 8 clients", "NOT MEASURED", "no size with >= 50k chunks"))
        out.append(("serving RSS at 50k chunks <= 1.5 GB", "NOT MEASURED", "no size with >= 50k chunks"))
    runs32 = [r for s in sizes for e in ("search", "ask") if (r := _load(s, e, 32))]
    if runs32:
        errors = sum(r["errors"] for r in runs32)
        total = sum(r["requests"] for r in runs32)
        out.append(("no errors at 32 clients", _pf(errors == 0), f"{errors} errors in {total} requests"))
    return out


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    lines = [
        "## Ingestion",
        "",
        *ingest_rows(sizes),
        "",
        "## Query latency (loopback HTTP)",
        "",
        *query_rows(sizes),
        "",
        "## Issue 14 ratios",
        "",
        *issue14_rows(sizes),
        "",
        "## Targets",
        "",
    ]
    lines += [f"- {verdict}: {name} — {numbers}" for name, verdict, numbers in verdicts(sizes)]
    return "\n".join(lines) + "\n"


def main() -> None:
    """``python -m benchmarks.report results.json [more.json ...]``: one table for several runs."""
    import json
    import sys
    from pathlib import Path

    sizes = [s for p in sys.argv[1:] for s in json.loads(Path(p).read_text())["sizes"]]
    print(render({"sizes": sorted(sizes, key=lambda s: s["docs"])}), end="")


if __name__ == "__main__":
    main()
