"""The ``kb`` command line. Each module in ``COMMAND_MODULES`` adds its commands to ``app``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="kb",
    help="FreshKB: an internal knowledge base that ranks by relevance and freshness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = [
    "kb.cli.ingest",
    "kb.cli.alerts",
    "kb.cli.evals",
    "kb.cli.serve",
    "kb.cli.audit",
    "kb.cli.search",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
