"""``kb ingest <notion|drive> PATH``, ``kb docs`` and ``kb restore``: load an export, list what is
stored and why (with freshness, reviews and alert history) or was removed, and bring a removed
document back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.errors import BadRequest
from kb.ingest.pipeline import IngestOptions, source_name
from kb.ingest.removal import INCOMPLETE
from kb.lifecycle.status_filter import matches_status, unknown_status
from kb.lifecycle.view import successor_ref
from kb.records import IngestReport
from kb.search.duplicates import copies
from kb.store.alerts import AlertHistory
from kb.store.duplicates import NearDuplicates
from kb.store.reviews import ReviewStore
from kb.store.tombstones import Tombstones


def print_report(report: IngestReport, what: str = "export") -> None:
    if report.dry_run:
        typer.echo("dry run: nothing was written; this is what the run would do")
        for name, ids in (("add", report.added), ("update", report.updated), ("remove", report.removed)):
            for doc_id in ids:
                typer.echo(f"  would {name:<8}{doc_id}")
    rows = [
        ("added", len(report.added)),
        ("updated", len(report.updated)),
        ("unchanged", len(report.unchanged)),
        ("removed", len(report.removed)),
        # Warnings (a skipped attachment, a Takeout without permissions) are not failures.
        ("failed", sum(1 for i in report.failed if i.severity == "error")),
        ("warnings", sum(1 for i in report.failed if i.severity == "warning")),
        ("chunks embedded", report.chunks_embedded),
        ("chunks reused", report.chunks_reused),
    ]
    typer.echo(f"{report.source} {what} {report.input} ({report.seconds:.1f}s)")
    for name, n in rows:
        typer.echo(f"  {name:<16}{n:>6}")
    if report.successors_inferred is not None:
        typer.echo(f"  inferred successors (whole store): {report.successors_inferred}")
    if report.removal_skipped:
        kept = len(report.removal_held)
        note = report.removal_note or f"part of the {what} could not be read"
        typer.echo(f"  removals skipped: kept {kept} missing document(s): {note}")
    for issue in report.failed:
        typer.echo(f"  {issue.severity}: {issue.input}: {issue.reason}")


def ingest(
    source: Annotated[str, typer.Argument(help="notion or drive (gdrive)")],
    path: Annotated[Path, typer.Argument(help="The export: a zip or a folder")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be added, updated and removed; write nothing")
    ] = False,
    allow_removals: Annotated[
        bool,
        typer.Option("--allow-removals", help="Remove documents even beyond ingest.max_removal_fraction"),
    ] = False,
    replace_identity: Annotated[
        bool,
        typer.Option(
            "--replace-identity",
            help="Take an export of another workspace/folder as this source's "
            "(documents it lacks are removed)",
        ),
    ] = False,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Ingest an export; only documents whose content changed are re-embedded. Exits 1 when the
    export is refused (empty, unrecognisable, of another workspace) or removals were held back."""
    src = source_name(source)
    rt = runtime(config)
    bar: tqdm[Any] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    try:
        options = IngestOptions(
            dry_run=dry_run, allow_removals=allow_removals, replace_identity=replace_identity
        )
        report = rt.ingester().ingest(src, path, progress=progress, options=options)
    finally:
        if bar is not None:
            bar.close()
        rt.close()
    if json:
        emit_json(report)
    else:
        print_report(report)
    if report.refused:
        typer.echo(f"error: {path}: {report.refused}", err=True)
        raise typer.Exit(1)
    if not report.read_anything:
        typer.echo(f"error: nothing could be read from {path}", err=True)
        raise typer.Exit(1)
    if report.removal_held and report.removal_note != INCOMPLETE:  # held by a guard, not unread
        typer.echo(f"error: {path}: {report.removal_note}", err=True)
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
    removed: Annotated[
        bool, typer.Option("--removed", help="List documents ingests removed (restorable with kb restore)")
    ] = False,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """List stored documents with their resolved owner, review interval, ACL and why, their
    freshness (as ``kb stale`` and the digests judge it), reviews and alert history."""
    if removed:
        _removed(source, config, json)
        return
    if (problem := unknown_status(status)) is not None:
        raise BadRequest(problem, subject="--status")
    rt = runtime(config)
    try:
        listed = rt.documents.list(
            source=source_name(source) if source else None,
            owner=rt.people.resolve(owner) if owner else None,
        )
        _, judged = rt.alert_runner().judgements(rt.clock.now())
        fresh = {d: j.freshness for d, j in judged.items()}
        records = [d for d in listed if matches_status(status, d, fresh[d.doc_id])]
        everything = {d.doc_id: d for d in rt.documents.list()}
        partners = NearDuplicates(rt.db).partners()
        dups = {d.doc_id: copies(d.doc_id, partners, set(everything), everything) for d in records}
        if json:
            reviews, alerts = ReviewStore(rt.db), AlertHistory(rt.db)
            emit_json(
                [
                    {
                        **d.model_dump(mode="json", exclude={"text"}),
                        "freshness": fresh[d.doc_id].model_dump(mode="json"),
                        "successor": successor_ref(judged[d.doc_id].successor),
                        "reviews": reviews.history(d.doc_id),
                        "near_duplicates": [c.model_dump(mode="json") for c in dups[d.doc_id]],
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
        if (succ := judged[d.doc_id].successor) is not None:
            how = f"inferred: {succ.reason}" if succ.inferred else succ.reason
            typer.echo(f"    successor: {succ.title} ({succ.doc_id}; {how})")
        for c in dups[d.doc_id]:
            typer.echo(
                f"    near-duplicate: {c.doc_id} in {c.source_label} '{c.title}' "
                f"(similarity {c.similarity:.2f})"
            )
    typer.echo(f"{len(records)} document(s)", err=True)


def _removed(source: str | None, config: Path | None, json: bool) -> None:
    rt = runtime(config)
    try:
        tombs = Tombstones(rt.db).list(source_name(source) if source else None)
    finally:
        rt.close()
    if json:
        emit_json(
            [
                {
                    **t.doc.model_dump(mode="json", exclude={"text"}),
                    "removed_at": t.removed_at.isoformat(),
                    "removal_reason": t.reason,
                }
                for t in tombs
            ]
        )
        return
    for t in tombs:
        typer.echo(f"{t.doc.doc_id}  {t.doc.breadcrumb}")
        typer.echo(f"    removed {t.removed_at:%Y-%m-%d %H:%M} UTC: {t.reason}")
    typer.echo(f"{len(tombs)} removed document(s)", err=True)


def restore(
    doc_id: Annotated[str, typer.Argument(help="Id of a removed document (kb docs --removed)")],
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Put a document an ingest removed back, with its chunks and vectors as they were."""
    rt = runtime(config)
    try:
        doc = rt.ingester().restore(doc_id)
    finally:
        rt.close()
    if json:
        emit_json(doc.model_dump(mode="json", exclude={"text"}))
    else:
        typer.echo(f"restored {doc.doc_id}  {doc.breadcrumb}")


def register(app: typer.Typer) -> None:
    app.command("ingest")(handle_errors(ingest))
    app.command("docs")(handle_errors(docs))
    app.command("restore")(handle_errors(restore))
