"""``kb migrate``: bring the store's schema up to date, or copy it to PostgreSQL (no re-embedding)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.config import StoreSettings
from kb.errors import ConfigError
from kb.store.copy import copy_store
from kb.store.db import Database
from kb.store.migrations import versions


def _destination(url: str, store: StoreSettings) -> Database:
    try:
        StoreSettings(url=url)
    except ValueError as err:
        raise ConfigError(str(err).splitlines()[-1].strip(), subject=f"--to {url}") from None
    return Database(
        url,
        password=os.environ.get(store.password_env) or None,
        min_size=1,
        max_size=2,
        timeout_s=store.timeout_s,
    )


def register(app: typer.Typer) -> None:
    @app.command("migrate")
    @handle_errors
    def migrate(
        config: ConfigOpt = None,
        json: JsonOpt = False,
        to: Annotated[
            str | None,
            typer.Option(
                "--to",
                help="Copy the configured store into this empty PostgreSQL database "
                "(postgresql://user@host/db; password from the env var store.password_env)",
            ),
        ] = None,
    ) -> None:
        """Apply schema migrations to the configured store; with --to, copy it (documents, chunks,
        reviews, audit, alert history, ...) into PostgreSQL and verify the row counts. Vectors stay
        in Chroma: nothing is re-embedded. Stop ingests and API workers first."""
        rt = runtime(config)
        try:
            if to is None:
                applied = rt.db.migrate()
                done = versions(rt.db)
                if json:
                    emit_json({"store": rt.db.target, "applied": applied, "versions": done})
                else:
                    now = ", ".join(map(str, applied)) or "none"
                    typer.echo(f"{rt.db.target}: schema version {max(done)} (applied now: {now})")
                return
            destination = _destination(to, rt.settings.store)
            try:
                report = copy_store(rt.db, destination)
            finally:
                destination.dispose()
        finally:
            rt.close()
        if json:
            emit_json(report.model_dump() | {"ok": report.ok})
        else:
            typer.echo(f"copied {report.source} -> {report.destination}")
            for t in report.tables:
                mark = "ok" if t.source == t.destination else "MISMATCH"
                typer.echo(f"  {t.table:<18} {t.source:>8} -> {t.destination:>8}  {mark}")
            if report.ok:
                typer.echo(f'counts verified; now set store.url = "{to}" (Chroma index unchanged)')
        if not report.ok:
            raise typer.Exit(1)
