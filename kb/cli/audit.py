"""``kb audit``: who searched or asked what, when, and which documents came back."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

import typer

from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.clock import SystemClock, utc
from kb.errors import BadRequest
from kb.store.audit import AuditLog

_RELATIVE = re.compile(r"^(\d+)\s*([dhm])$")


def parse_since(value: str, now: datetime) -> datetime:
    """An ISO date/datetime, or a span back from now: '7d', '12h', '30m'."""
    value = value.strip()
    m = _RELATIVE.match(value.lower())
    if m:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[m.group(2)]
        return now - timedelta(**{unit: int(m.group(1))})
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        raise BadRequest(
            "expected an ISO date (2026-11-01), a datetime, or a span like 7d / 12h",
            subject=f"--since {value}",
        ) from None


def register(app: typer.Typer) -> None:
    @app.command("audit")
    @handle_errors
    def audit(
        config: ConfigOpt = None,
        json: JsonOpt = False,
        user: Annotated[str | None, typer.Option(help="Only this user")] = None,
        since: Annotated[str | None, typer.Option(help="ISO date/datetime or span (7d, 12h)")] = None,
        limit: Annotated[int, typer.Option(min=1, help="Most recent entries shown")] = 50,
    ) -> None:
        """Show the audit log, newest first."""
        rt = runtime(config)
        try:
            since_at = parse_since(since, SystemClock().now()) if since else None
            entries = AuditLog(rt.db).entries(
                user=user.lower() if user else None, since=since_at, limit=limit
            )
        finally:
            rt.close()
        if json:
            emit_json(entries)
            return
        if not entries:
            typer.echo("no audit entries")
            return
        for e in entries:
            docs = ", ".join(e.doc_ids) if e.doc_ids else "-"
            status = "" if e.status == 200 else f" [HTTP {e.status}]"
            typer.echo(
                f"{e.at:%Y-%m-%d %H:%M:%S}  {e.user}  {e.action:<6} {e.latency_ms:7.1f} ms"
                f"{status}  {e.query!r}\n    -> {docs}"
            )
