"""``kb pull [NAME...]``: pull configured sources (``[[sources]]``) from the Notion and Drive APIs now."""

from __future__ import annotations

from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.cli.ingest import print_report
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
        reports = [pull_source(rt, name) for name in chosen]
    finally:
        rt.close()
    if json:
        emit_json(reports)
        return
    for report in reports:
        print_report(report, "pull")


def register(app: typer.Typer) -> None:
    app.command("pull")(handle_errors(pull))
