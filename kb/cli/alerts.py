"""``kb alerts run``, ``kb stale``, ``kb scheduler`` and ``kb review``: staleness alerts from the shell."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

import typer

from kb.alerts.digest import ALERTED_STATUSES, DigestItem, item_for, sort_key
from kb.alerts.render import status_text
from kb.alerts.review import confirm_review, load_doc, may_review
from kb.alerts.runner import RunReport
from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.errors import PermissionDenied
from kb.identity import principal_for_user, same_email
from kb.store.audit import AuditLog

alerts_app = typer.Typer(help="Staleness digests to document owners.", no_args_is_help=True)


def _print_run(report: RunReport) -> None:
    mode = "dry run: nothing sent or recorded" if report.dry_run else "run"
    typer.echo(f"alerts {mode}, period {report.period}")
    for d in report.deliveries:
        where = f" via {d.channel} to {d.target}" if d.channel else ""
        counts = f"{len(d.items)} own, {len(d.escalations)} escalated, {d.secrets} secrets"
        reason = f": {d.reason}" if d.reason else ""
        typer.echo(f"  {d.status:<10} {d.recipient}{where} ({counts}){reason}")
        if d.body is not None:
            typer.echo("")
            typer.echo(f"    To: {d.recipient} ({d.channel} {d.target})")
            typer.echo(f"    Subject: {d.subject}")
            typer.echo("")
            for line in d.body.rstrip("\n").split("\n"):
                typer.echo(f"    {line}".rstrip())
            typer.echo("")
    for item in report.unassigned:
        typer.echo(f"  unassigned {item.doc_id} {item.title}: {item.escalation}")
    for w in report.warnings:
        typer.echo(f"warning: {w}", err=True)


@alerts_app.command("run")
@handle_errors
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent to whom; send and record nothing")
    ] = False,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Send due digests now (idempotent per day; one runner at a time)."""
    rt = runtime(config)
    try:
        report = rt.alert_runner().run(dry_run=dry_run)
    finally:
        rt.close()
    if json:
        emit_json(report)
    else:
        _print_run(report)
    if report.count("failed"):
        raise typer.Exit(1)


def stale(
    owner: Annotated[str | None, typer.Option(help="Only documents of this owner (email)")] = None,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """List overdue and due-soon documents, most used first, then most overdue."""
    rt = runtime(config)
    try:
        now = rt.clock.now()
        docs, fresh, latest = rt.alert_runner().assessments(now)
        usage = AuditLog(rt.db).usage_counts(now - timedelta(days=rt.settings.audit.usage_window_days))
        items: list[DigestItem] = []
        for doc in docs:
            fr = fresh[doc.doc_id]
            if fr.status not in ALERTED_STATUSES:
                continue
            if owner is not None and not same_email(doc.owner, owner):
                continue
            items.append(item_for(doc, fr, now, usage.get(doc.doc_id, 0), latest.get(doc.doc_id)))
    finally:
        rt.close()
    items.sort(key=sort_key)
    if json:
        emit_json(items)
        return
    for i in items:
        typer.echo(
            f"{status_text(i):<20} used {i.usage:>4}  {i.owner or '(no owner)':<28} {i.title}  [{i.doc_id}]"
        )
    typer.echo(f"{len(items)} document(s) need review", err=True)


def scheduler(config: ConfigOpt = None) -> None:
    """Run the alert digests (alerts.cron) and the pulls of [[sources]] with a cron in the
    foreground until interrupted."""
    from kb.alerts.scheduler import cron_trigger, make_trigger, run_foreground
    from kb.ingest.pull import add_pull_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    rt = runtime(config)
    make_trigger(rt.settings.alerts)  # fail fast on a bad cron or time zone
    for src in rt.settings.sources:
        if src.cron:
            cron_trigger(src.cron, src.timezone, f"sources.{src.name}")
    typer.echo(
        f"alert scheduler: '{rt.settings.alerts.cron}' ({rt.settings.alerts.timezone}); Ctrl-C to stop",
        err=True,
    )
    for src in rt.settings.sources:
        if src.cron:
            typer.echo(f"pull of source '{src.name}': '{src.cron}' ({src.timezone})", err=True)
    ingester = rt.ingester()
    try:
        run_foreground(
            rt.settings.alerts, rt.alert_runner, lambda sched: add_pull_jobs(sched, ingester, cron_trigger)
        )
    finally:
        rt.close()


def review(
    doc_id: Annotated[str, typer.Argument(help="Document id")],
    as_user: Annotated[str, typer.Option("--as", help="Who confirms it (email)")],
    note: Annotated[str, typer.Option(help="Optional note")] = "",
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Record that a document is still accurate, as its owner or an admin (an ``[[auth.tokens]]``
    user with ``admin`` or in ``auth.admin_groups``); written to the audit log like API reviews."""
    rt = runtime(config)
    try:
        doc = load_doc(rt.documents, doc_id)
        principal = principal_for_user(as_user, rt.settings.auth)
        if not may_review(principal, doc):
            raise PermissionDenied(
                f"{principal.user} is neither the document's owner nor an admin; not recorded", subject=doc_id
            )
        outcome = confirm_review(
            rt.settings, rt.reviews, rt.documents, rt.clock, doc, principal.user, note=note, via="cli"
        )
    finally:
        rt.close()
    if json:
        emit_json(outcome)
        return
    fr = outcome.freshness
    due = f", next review due {fr.due_at:%Y-%m-%d}" if fr.due_at else ""
    typer.echo(f"{outcome.title}: reviewed by {outcome.review.reviewer}; now {fr.status}{due}")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.command("stale")(handle_errors(stale))
    app.command("scheduler")(handle_errors(scheduler))
    app.command("review")(handle_errors(review))
