"""``kb pull [NAME...]``: pull configured sources (``[[sources]]``) from the Notion and Drive APIs
now; ``kb export drive OUT/``: write the Drive source as a manifest export instead."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.cli.ingest import print_report
from kb.config import load_settings
from kb.errors import ConfigError
from kb.ingest.pull import pull as pull_source


def pull(
    names: Annotated[
        list[str] | None, typer.Argument(help="Source names from [[sources]]; none = all")
    ] = None,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Pull sources from their APIs; only changed pages and files are fetched and re-embedded. A
    pull that could not list everything removes nothing."""
    rt = runtime(config)
    try:
        chosen = names or [s.name for s in rt.settings.sources]
        if not chosen:
            raise ConfigError(
                "no [[sources]] configured; see README 'Pulling from the APIs'", subject="sources"
            )
        for name in chosen:
            rt.settings.source(name)  # an unknown name fails before any source is pulled
        reports = [pull_source(rt.ingester(), name) for name in chosen]
    finally:
        rt.close()
    if json:
        emit_json(reports)
        return
    for report in reports:
        print_report(report, "pull")


def export(
    kind: Annotated[str, typer.Argument(help="drive")],
    out: Annotated[Path, typer.Argument(help="Folder to write (manifest.jsonl, files/, export_info.json)")],
    source: Annotated[str | None, typer.Option(help="[[sources]] name; default: the drive source")] = None,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Write a Drive source as the manifest export ``kb ingest drive`` reads."""
    if kind.strip().lower() not in ("drive", "gdrive"):
        raise ConfigError("only 'drive' can be exported (Notion has its own export)", subject=kind)
    settings = load_settings(config)
    drives = [s for s in settings.sources if s.kind == "drive" and (source is None or s.name == source)]
    if not drives:
        raise ConfigError(
            f"no drive source{f' named {source!r}' if source else ''} in [[sources]]", subject="sources"
        )
    from ingestors.drive_export import export_drive

    batch = export_drive(settings, drives[0], out)
    if json:
        emit_json({"output": str(out), "complete": batch.complete, "issues": batch.issues})
    else:
        typer.echo(f"drive export of source '{drives[0].name}' written to {out}")
        for issue in batch.issues:
            typer.echo(f"  {issue.severity}: {issue.input}: {issue.reason}")
    if not batch.complete:
        typer.echo("error: part of the source could not be exported (see above)", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("pull")(handle_errors(pull))
    app.command("export")(handle_errors(export))
