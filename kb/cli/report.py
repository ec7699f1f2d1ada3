"""``kb report``: knowledge health by space, team and owner (with the daily trend), knowledge gaps,
the stale-citation rate per week, the most used documents and near-duplicates: the figures of
``/admin``. Running it records today's health snapshot."""

from __future__ import annotations

import typer

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.insights.health import HealthRow
from kb.insights.report import Report


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _health_line(r: HealthRow) -> str:
    shares = (
        ("fresh", r.share_fresh),
        ("due soon", r.share_due_soon),
        ("overdue", r.share_overdue),
        ("unowned", r.share_unowned),
        ("owner left", r.share_owner_left),
    )
    return f"  {r.key[:44]:<44} {r.documents:>5}  " + "  ".join(f"{k} {_pct(v):>4}" for k, v in shares)


def print_report(report: Report) -> None:
    echo = typer.echo
    echo(f"Knowledge report, {report.generated_at:%Y-%m-%d %H:%M} UTC: {report.documents} documents")
    echo("  by status: " + ", ".join(f"{k} {v}" for k, v in report.by_status.items()))
    for dimension in ("all", "space", "team", "owner"):
        echo(f"\nHealth by {dimension}:" if dimension != "all" else "\nHealth overall:")
        for r in report.health:
            if r.dimension == dimension:
                echo(_health_line(r))
    echo("\nTrend (share fresh / overdue):")
    for s in report.trend[-14:]:
        fresh = s.fresh / s.documents if s.documents else 0.0
        overdue = s.overdue / s.documents if s.documents else 0.0
        echo(f"  {s.day}  {s.documents:>5} documents  fresh {_pct(fresh):>4}  overdue {_pct(overdue):>4}")
    echo(f"\nKnowledge gaps (last {report.window_days} days):")
    if not report.gaps:
        echo("  none: every question found something and no answer got a thumbs down")
    for g in report.gaps:
        echo(
            f"  {g.topic!r}: {g.count} question(s) ({g.nothing_found} found nothing, "
            f"{g.negative_feedback} voted down); likely owner {g.likely_owner or '-'}"
        )
        for q in g.questions[1:4]:
            echo(f"      also: {q.question!r}")
    echo("\nStale-citation rate (answers whose first source was stale), per week:")
    if not report.stale_citations:
        echo("  no answers with citations yet")
    for w in report.stale_citations:
        echo(f"  week of {w.week}: {_pct(w.rate)} ({w.stale_first} of {w.answers})")
    echo(f"\nMost used documents (last {report.window_days} days):")
    for u in report.most_used:
        echo(f"  {u.uses:>5}  {u.title}  [{u.status}]  {u.owner or '-'}  {u.doc_id}")
    echo("\nNear-duplicates across sources:")
    if not report.near_duplicates:
        echo("  none")
    for p in report.near_duplicates:
        echo(f"  {p.title_a} ({p.source_a}) = {p.title_b} ({p.source_b})  similarity {p.similarity:.2f}")


def register(app: typer.Typer) -> None:
    @app.command("report")
    @handle_errors
    def report(config: ConfigOpt = None, json: JsonOpt = False) -> None:
        """Knowledge health by space, team and owner, gaps, stale-citation rate, most used
        documents and near-duplicates (what /admin shows). Records today's health snapshot."""
        rt = runtime(config)
        try:
            result = rt.report()
        finally:
            rt.close()
        if json:
            emit_json(result)
            return
        print_report(result)
