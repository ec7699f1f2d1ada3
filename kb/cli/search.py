"""``kb search "question" [--as USER] [--top-k N] [--json]``: the API's search engine from a shell.

It agrees with ``POST /v1/search``: the same limits (``api.max_top_k``, ``api.max_question_chars``),
``--json`` prints the API's response body (``status`` is the freshness status, ``doc_status`` the
source's), and every search is written to the audit log like the API's.

The principal is the ``[[auth.tokens]]`` entry for ``--as`` (its groups and admin flag, plus
``auth.admin_groups``), or a plain user with no groups when the config does not know them; with
no ``--as``, a user who can read only documents open to everyone.
"""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer

from kb.api.schemas import SearchResponse, check_limits
from kb.cli.common import ConfigOpt, JsonOpt, emit_json, handle_errors, runtime
from kb.config import AuthSettings
from kb.identity import principal_for_user
from kb.records import Principal
from kb.search.retrieval import SearchHit, SearchResult

ANONYMOUS = "cli@localhost"
BADGES = {
    "fresh": "FRESH",
    "due_soon": "DUE SOON",
    "overdue": "OVERDUE",
    "unknown": "UNDATED",
    "deprecated": "DEPRECATED",
    "archived": "ARCHIVED",
    "superseded": "SUPERSEDED",
}


def principal_for(user: str | None, auth: AuthSettings) -> Principal:
    """The principal a ``--as`` user runs as: the one the API builds for their token."""
    if not user:
        return Principal(user=ANONYMOUS)
    return principal_for_user(user, auth)


def _hit_lines(hit: SearchHit) -> list[str]:
    fr = hit.freshness
    badge = BADGES.get(fr.status, fr.status.upper())
    if fr.overdue_days is not None:
        badge += f" {fr.overdue_days}d"
    lines = [
        f"{hit.rank}. {hit.doc.title}  [{badge}]",
        f"   owner: {hit.doc.owner or 'unknown'}   score {hit.score:.3f} "
        f"(relevance {hit.relevance:.2f} x freshness {fr.weight:.2f})   {hit.doc.doc_id}",
    ]
    if hit.doc.url:
        lines.append(f"   {hit.doc.url}")
    if hit.successor is not None:
        lines.append(f"   current version: {hit.successor.title} ({hit.successor.doc_id})")
    for copy in hit.also_in:
        lines.append(f"   also in {copy.source_label}: {copy.title} ({copy.doc_id})")
    if hit.snippets:
        snippet = textwrap.shorten(hit.snippets[0], width=220, placeholder=" …")
        lines.extend(textwrap.wrap(snippet, width=100, initial_indent="   > ", subsequent_indent="     "))
    return lines


def print_result(result: SearchResult) -> None:
    if not result.hits:
        typer.echo("No documents you can read match this query.")
    for hit in result.hits:
        typer.echo("\n".join(_hit_lines(hit)))
        typer.echo("")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")
    typer.echo(f"({len(result.hits)} results in {result.took_ms:.0f} ms)")


def search(
    query: Annotated[str, typer.Argument(help="The question or keywords")],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Search as this user (email); groups come from [[auth.tokens]]")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", "-k", min=1, help="Documents to return (1..api.max_top_k)")
    ] = None,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Search the knowledge base, ranked by relevance and freshness, as a given user."""
    rt = runtime(config)
    try:
        check_limits("query", query, top_k, rt.settings.api)  # the API's bounds
        principal = principal_for(as_user, rt.settings.auth)
        with rt.audit.call(principal, "search", query) as call:
            result = rt.retriever.search(query, principal, top_k=top_k, now=rt.clock.now())
            call.doc_ids = [h.doc.doc_id for h in result.hits]
    finally:
        rt.close()
    if json:
        emit_json(SearchResponse.from_result(result))
    else:
        print_result(result)


def register(app: typer.Typer) -> None:
    app.command("search")(handle_errors(search))
