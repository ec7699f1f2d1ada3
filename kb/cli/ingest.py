"""``kb ingest <notion|drive> PATH`` and ``kb docs``: load an export, list what is stored and why
(with freshness, reviews and alert history)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.errors import BadRequest
from kb.ingest.pipeline import source_name
from kb.lifecycle.status_filter import matches_status, unknown_status
from kb.records import IngestReport
from kb.store.alerts import AlertHistory
from kb.store.reviews import ReviewStore


def _print_report(report: IngestReport) -> None:
    rows = [
        ("added", len(report.added)),
        ("updated", len(report.updated)),
        ("unchanged", len(report.unchanged)),
        ("removed", len(report.removed)),
        ("failed", len(report.failed)),
        ("chunks embedded", report.chunks_embedded),
    ]
    typer.echo(f"{report.source} export {report.input} ({report.seconds:.1f}s)")
    for name, n in rows:
        typer.echo(f"  {name:<16}{n:>6}")
    if report.removal_skipped:
        typer.echo("  removals skipped: part of the export could not be read")
    for issue in report.failed:
        typer.echo(f"  {issue.severity}: {issue.input}: {issue.reason}")


def ingest(
    source: Annotated[str, typer.Argument(help="notion or drive (gdrive)")],
    path: Annotated[Path, typer.Argument(help="The export: a zip or a folder")],
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Ingest an export; only documents whose content changed are re-embedded."""
    src = source_name(source)
    rt = runtime(config)
    bar: tqdm[Any] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    try:
        report = rt.ingester().ingest(src, path, progress=progress)
    finally:
        if bar is not None:
            bar.close()
        rt.close()
    if json:
        emit_json(report)
    else:
        _print_report(report)
    if not report.read_anything:
        typer.echo(f"error: nothing could be read from {path}", err=True)
        raise typer.Exit(1)


def docs(
    source: Annotated[str | None, typer.Option(help="notion or drive")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner email or name")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            help="Document status (active, deprecated, archived, draft) or freshness status "
            "(fresh, due_soon, overdue, unknown, superseded): the values GET /v1/docs takes"
        ),
    ] = None,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """List stored documents with their resolved owner, review interval, ACL and why, their
    freshness (as ``kb stale`` and the digests judge it), reviews and alert history."""
    if (problem := unknown_status(status)) is not None:
        raise BadRequest(problem, subject="--status")
    rt = runtime(config)
    try:
        listed = rt.documents.list(
            source=source_name(source) if source else None,
            owner=rt.people.resolve(owner) if owner else None,
        )
        _, fresh, _ = rt.alert_runner().assessments(rt.clock.now())
        records = [d for d in listed if matches_status(status, d, fresh[d.doc_id])]
        if json:
            reviews, alerts = ReviewStore(rt.db), AlertHistory(rt.db)
            emit_json(
                [
                    {
                        **d.model_dump(mode="json", exclude={"text"}),
                        "freshness": fresh[d.doc_id].model_dump(mode="json"),
                        "reviews": reviews.history(d.doc_id),
                        "alerts": [a.model_dump(mode="json") for a in alerts.for_doc(d.doc_id)],
                    }
                    for d in records
                ]
            )
            return
    finally:
        rt.close()
    for d in records:
        typer.echo(f"{d.doc_id}  {d.breadcrumb}")
        typer.echo(
            f"    owner={d.owner or '-'}  status={d.status}  freshness={fresh[d.doc_id].status}  "
            f"review every {d.review_interval_days}d  acl={','.join(d.acl)}"
        )
        for fieldname, why in sorted(d.resolution.items()):
            typer.echo(f"    {fieldname}: {why}")
    typer.echo(f"{len(records)} document(s)", err=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(handle_errors(ingest))
    app.command("docs")(handle_errors(docs))
