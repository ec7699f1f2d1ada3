"""The ``kb`` command line. Each module in ``COMMAND_MODULES`` adds its commands to ``app``.

Owns: argument parsing, output formats (text and ``--json``) and exit codes of every ``kb``
command. Commands are thin: they build a ``Runtime`` and call a capability.
May import: everything below it (capabilities, ``kb.runtime``, the foundation); never ``kb.api``
internals except ``create_app`` for ``kb serve``.
"""

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
    "kb.cli.migrate",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
