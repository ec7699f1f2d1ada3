"""``kb eval run``: score retrieval on a golden question set, compare with a baseline, gate CI.

Exit codes: 0 ok (and the gate passed), 1 the gate failed, 2 bad input (golden file, config,
thresholds, saved report).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors
from kb.clock import FixedClock
from kb.config import load_settings
from kb.errors import BadRequest, ConfigError
from kb.runtime import Runtime

eval_app = typer.Typer(help="Retrieval evaluation over golden question sets.", no_args_is_help=True)


def parse_now(value: str | None) -> datetime:
    """``--now``: ISO 8601 (``2026-11-20T12:00:00Z``); naive means UTC; default the real clock."""
    if value is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError as err:
        raise BadRequest("not an ISO 8601 date-time (e.g. 2026-11-20T12:00:00Z)", subject="--now") from err
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def load_saved_report(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"cannot read the saved report: {err}", subject=str(path)) from err
    if not isinstance(data, dict) or "configurations" not in data:
        raise ConfigError("not an eval report (no 'configurations')", subject=str(path))
    return data


@eval_app.command("run")
@handle_errors
def run(
    golden: Annotated[Path, typer.Argument(help="Golden question set (JSONL)")],
    config: ConfigOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report directory (default reports/eval-<timestamp>)")
    ] = None,
    json_out: JsonOpt = False,
    compare: Annotated[
        bool,
        typer.Option("--compare", help="Also run a baseline configuration side by side (see --baseline)"),
    ] = False,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Baseline for --compare: a preset "
            "(naive, hybrid, rrf, bm25, dense-fresh) or a TOML file "
            "with a [retrieval] table; default naive "
            "(dense only, no BM25, no freshness). Implies "
            "--compare",
        ),
    ] = None,
    gate: Annotated[
        Path | None, typer.Option("--gate", help="Thresholds TOML; exit 1 when a check fails")
    ] = None,
    baseline_report: Annotated[
        Path | None,
        typer.Option(
            "--baseline-report", help="Saved report.json to check regressions against (with --gate)"
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Judge freshness at this instant (ISO 8601); default the real clock"),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the randomization test")] = 0,
    permutations: Annotated[
        int, typer.Option("--permutations", min=100, help="Random sign flips (exact when ≤ 16 questions)")
    ] = 10_000,
) -> None:
    """Run every golden question through the service's retrieval and /ask answerer; write
    report.json, summary.md and report.html."""
    from evals.gate import check_gate, load_thresholds
    from evals.golden import load_golden
    from evals.report import summary_md, write_reports
    from evals.runner import baseline_system, run_eval

    at = parse_now(now)
    questions = load_golden(golden)
    thresholds = load_thresholds(gate) if gate else None
    if baseline_report and not gate:
        raise BadRequest(
            "--baseline-report needs --gate (it holds the regression tolerances)", subject="--baseline-report"
        )
    saved = load_saved_report(baseline_report) if baseline_report else None
    settings = load_settings(config)
    system = baseline_system(baseline or "naive", settings.retrieval) if (compare or baseline) else None
    rt = Runtime(settings, clock=FixedClock(at))
    try:
        if rt.documents.count() == 0:
            raise ConfigError(
                "the store holds no documents: run 'kb ingest' first", subject=settings.store_target
            )
        report = run_eval(
            rt, golden, questions, now=at, baseline=system, seed=seed, permutations=permutations
        )
    finally:
        rt.close()
    result = check_gate(report, thresholds, saved) if thresholds else None
    report["gate"] = result.model_dump() if result else None
    out_dir = out or Path("reports") / f"eval-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    paths = write_reports(report, out_dir)
    if json_out:
        emit_json(report)
    else:
        typer.echo(summary_md(report))
        typer.echo("reports: " + ", ".join(str(p) for p in paths.values()))
    if result and not result.passed:
        for failure in result.failures:
            typer.echo(f"gate failed: {failure}", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
