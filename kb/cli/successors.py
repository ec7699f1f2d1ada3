"""``kb successors [--pending] [--json]``: inferred successors and owners' decisions;
``kb successors decide DOC SUCCESSOR --replaced/--not-replaced --as EMAIL``: answer one.

The list is the operator's view (every page, as ``kb docs``); ``--json`` prints the body of
``GET /v1/successors``. A decision is the API's (``kb.alerts.successor_review.decide``): only the
older page's owner or an admin (``[[auth.tokens]]``) may make it, and it is audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kb.alerts.successor_review import SuccessorItem, decide, successor_items
from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.identity import principal_for_user
from kb.records import Principal

successors_app = typer.Typer(
    help="Inferred successors ('Is X replaced by Y?') and owners' answers.", invoke_without_command=True
)

OPERATOR = Principal(user="kb-cli", admin=True)

_STATE = {"pending": "PENDING", "replaced": "REPLACED", "not_replaced": "NOT REPLACED"}


def _lines(item: SuccessorItem) -> list[str]:
    out = [
        f"{_STATE[item.state]:<13}{item.doc_id}  {item.title}",
        f"    replaced by? {item.successor_id}  {item.successor_title}",
    ]
    if item.inferred:
        out.append(f"    inferred ({item.confidence:.2f}): {item.reason}")
    if item.decided_by and item.decided_at:
        out.append(f"    decided by {item.decided_by} on {item.decided_at:%Y-%m-%d %H:%M} UTC")
    out.append(f"    owner: {item.owner or '-'}")
    return out


@successors_app.callback()
@handle_errors
def successors(
    ctx: typer.Context,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only inferred successors nobody decided")
    ] = False,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """List inferred successors with their decision state (pending, replaced, not replaced)."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime(config)
    try:
        items = successor_items(rt.db, rt.documents, OPERATOR, pending=pending)
    finally:
        rt.close()
    if json:
        emit_json({"count": len(items), "items": items})
        return
    for item in items:
        typer.echo("\n".join(_lines(item)))
    typer.echo(f"{len(items)} successor pair(s)", err=True)


@successors_app.command("decide")
@handle_errors
def decide_cmd(
    doc_id: Annotated[str, typer.Argument(help="The older page")],
    successor_id: Annotated[str, typer.Argument(help="The page that may replace it")],
    replaced: Annotated[
        bool,
        typer.Option("--replaced/--not-replaced", help="Whether SUCCESSOR replaces DOC", show_default=False),
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="Decide as this user (email): the page's owner or an admin")
    ],
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Answer "Is DOC replaced by SUCCESSOR?" as the page's owner or an admin (audited)."""
    rt = runtime(config)
    try:
        who = principal_for_user(as_user, rt.settings.auth)
        record = decide(
            rt.db,
            rt.documents,
            rt.clock,
            who,
            doc_id,
            successor_id,
            "replaced" if replaced else "not_replaced",
            via="cli",
        )
    finally:
        rt.close()
    if json:
        emit_json(record)
    else:
        verb = "is replaced by" if replaced else "is not replaced by"
        typer.echo(f"recorded: {doc_id} {verb} {successor_id} (decided by {record.decided_by})")


def register(app: typer.Typer) -> None:
    app.add_typer(successors_app, name="successors")
