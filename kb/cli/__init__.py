"""The ``kb`` command line. Each module in ``COMMAND_MODULES`` adds its commands to ``app``.

Owns: argument parsing, output formats (text and ``--json``) and exit codes of every ``kb``
command. Commands are thin: they build a ``Runtime`` and call a capability.
May import: everything below it (capabilities, ``kb.runtime``, the foundation); of ``kb.api``
only ``create_app`` for ``kb serve`` and ``kb.api.schemas`` (``--json`` prints the API's shapes).
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from kb import __version__

app = typer.Typer(
    name="kb",
    help="FreshKB: an internal knowledge base that ranks by relevance and freshness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts name config tables ("[retrieval]", "[[auth.tokens]]"): rich markup would eat them.
    rich_markup_mode=None,
)

# Each module defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = [
    "kb.cli.ingest",
    "kb.cli.pull",
    "kb.cli.alerts",
    "kb.cli.evals",
    "kb.cli.serve",
    "kb.cli.audit",
    "kb.cli.search",
    "kb.cli.mcp",
    "kb.cli.migrate",
    "kb.cli.successors",
    "kb.cli.report",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kb (FreshKB) {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")
    ] = False,
) -> None:
    """FreshKB: an internal knowledge base that ranks by relevance and freshness."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
