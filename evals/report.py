"""Write an eval report three ways: report.json, summary.md and a self-contained report.html.

The HTML page embeds its bar chart (metrics per configuration, overall and per slice) as a
base64 PNG drawn with matplotlib's Agg backend, so it opens anywhere without other files.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display in CI; must precede pyplot
import matplotlib.pyplot as plt

from evals.metrics import COUNT_KEYS, RATE_METRICS

CHART_METRICS = RATE_METRICS


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _groups(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    metrics = config["metrics"]
    return [("overall", metrics["overall"]), *((f"slice: {k}", v) for k, v in metrics["slices"].items())]


def metrics_table_md(config: dict[str, Any]) -> str:
    keys = [*RATE_METRICS, *COUNT_KEYS[:3]]
    lines = ["| group | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, m in _groups(config):
        lines.append(f"| {name} | " + " | ".join(_num(m.get(k)) for k in keys) + " |")
    return "\n".join(lines)


VERDICT_METRICS = ("hit@5", "mrr@10")
SIGNIFICANT = 0.05


def verdicts(comparison: dict[str, Any]) -> list[str]:
    """One line per headline metric: does the candidate beat the baseline, and is it significant."""
    out = []
    for key in VERDICT_METRICS:
        c = comparison["metrics"].get(key)
        if c is None or c["diff"] is None:
            continue
        diff, p = c["diff"], c["p_value"]
        word = "beats" if diff > 0 else "ties" if diff == 0 else "trails"
        sig = "significant" if p is not None and p < SIGNIFICANT else "not significant"
        out.append(
            f"- {comparison['candidate']} {word} {comparison['baseline']} on {key}: "
            f"{_num(c['candidate'])} vs {_num(c['baseline'])} (diff {_num(diff)}, p = {_num(p, 4)}, {sig})"
        )
    return out


def comparison_md(comparison: dict[str, Any]) -> str:
    out = [
        f"## {comparison['candidate']} vs {comparison['baseline']}",
        "",
        f"Paired randomization test, seed {comparison['seed']}, {comparison['permutations']} "
        "sign-flip permutations (exact when ≤ 16 questions).",
        "",
        *verdicts(comparison),
        "",
        "| metric | baseline | candidate | diff | p | pairs |",
        "|---|---|---|---|---|---|",
    ]
    for key, c in comparison["metrics"].items():
        arrow = "↑" if c["higher_is_better"] else "↓"
        out.append(
            f"| {key} ({arrow} better) | {_num(c['baseline'])} | {_num(c['candidate'])} | "
            f"{_num(c['diff'])} | {_num(c['p_value'], 4)} | {c['n_pairs']} |"
        )
    for label in ("better", "worse"):
        rows = comparison[label]
        out += [
            "",
            f"Questions that got {label} ({len(rows)}): "
            + (
                ", ".join(
                    f"{r['qid']} (nDCG {_num(r['baseline_ndcg@10'])}→{_num(r['candidate_ndcg@10'])})"
                    for r in rows
                )
                or "none"
            ),
        ]
    return "\n".join(out)


def failures_md(name: str, config: dict[str, Any]) -> str:
    failed = [q for q in config["questions"] if q["failed_checks"]]
    out = [f"### Failed checks: {name} ({len(failed)} of {len(config['questions'])} questions)", ""]
    out += [f"- **{q['qid']}**: " + "; ".join(q["failed_checks"]) for q in failed]
    return "\n".join(out)


def summary_md(report: dict[str, Any]) -> str:
    out = [
        f"# Retrieval eval: {report['golden']}",
        "",
        f"Judged at {report['now']}; run at {report['created_at']}.",
        "",
    ]
    for name, config in report["configurations"].items():
        r = config["retrieval"]
        out += [
            f"## Configuration `{name}` (dense={r['dense']}, bm25={r['bm25']}, freshness={r['freshness']})",
            "",
            metrics_table_md(config),
            "",
        ]
    if report.get("comparison"):
        out += [comparison_md(report["comparison"]), ""]
    for name, config in report["configurations"].items():
        out += [failures_md(name, config), ""]
    gate = report.get("gate")
    if gate:
        out += ["## Gate: " + ("PASS" if gate["passed"] else "FAIL"), ""]
        out += [f"- {f}" for f in gate["failures"]] + [f"- warning: {w}" for w in gate["warnings"]]
    return "\n".join(out).rstrip() + "\n"


def chart_png(report: dict[str, Any]) -> bytes:
    """Grouped bars: one panel per group (overall, each slice), one bar colour per configuration."""
    configs = report["configurations"]
    names = list(configs)
    groups = [g for g, _ in _groups(next(iter(configs.values())))]
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 2.8 * len(groups)), squeeze=False)
    width = 0.8 / max(1, len(names))
    for ax, group in zip(axes[:, 0], groups, strict=True):
        for i, name in enumerate(names):
            m = dict(_groups(configs[name])).get(group, {})
            values = [m.get(k) if m.get(k) is not None else 0.0 for k in CHART_METRICS]
            xs = [x + i * width for x in range(len(CHART_METRICS))]
            ax.bar(xs, values, width=width, label=name)
            # A metric that does not apply to this group is marked, so it is not read as 0.
            for x, k in zip(xs, CHART_METRICS, strict=True):
                if m.get(k) is None:
                    ax.text(x, 0.02, "n/a", ha="center", fontsize=6, rotation=90)
        ax.set_title(group)
        ax.set_ylim(0, 1.05)
        ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(CHART_METRICS))])
        ax.set_xticklabels(CHART_METRICS, fontsize=8, rotation=15)
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _table_html(config: dict[str, Any]) -> str:
    keys = [*RATE_METRICS, *COUNT_KEYS[:3]]
    head = "".join(f"<th>{html.escape(k)}</th>" for k in ["group", *keys])
    rows = "".join(
        "<tr><td>"
        + html.escape(name)
        + "</td>"
        + "".join(f"<td>{_num(m.get(k))}</td>" for k in keys)
        + "</tr>"
        for name, m in _groups(config)
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def report_html(report: dict[str, Any]) -> str:
    png = base64.b64encode(chart_png(report)).decode("ascii")
    parts = [
        f"<h1>Retrieval eval: {html.escape(report['golden'])}</h1>",
        f"<p>Judged at {html.escape(report['now'])}.</p>",
        f'<img alt="metrics per configuration and slice" src="data:image/png;base64,{png}">',
    ]
    for name, config in report["configurations"].items():
        parts += [f"<h2>{html.escape(name)}</h2>", _table_html(config)]
    # The markdown summary carries the comparison and failures; shown verbatim, escaped.
    parts.append(f"<h2>Summary</h2><pre>{html.escape(summary_md(report))}</pre>")
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>FreshKB eval</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write_reports(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "summary.md",
        "html": out_dir / "report.html",
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(summary_md(report), encoding="utf-8")
    paths["html"].write_text(report_html(report), encoding="utf-8")
    return paths
