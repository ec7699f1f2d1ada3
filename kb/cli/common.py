"""Options and helpers shared by every ``kb`` command: config loading, JSON output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel

from kb.config import load_settings
from kb.errors import KBError
from kb.runtime import Runtime

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", envvar="KB_CONFIG", help="config.toml to use"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output")]

P = ParamSpec("P")
R = TypeVar("R")


def runtime(config: Path | None) -> Runtime:
    return Runtime(load_settings(config))


def emit_json(data: Any) -> None:
    """Print ``data`` (pydantic models, lists of them, or plain JSON values) as JSON."""

    def default(o: Any) -> Any:
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        if isinstance(o, set | frozenset):
            return sorted(o)
        return str(o)

    sys.stdout.write(json.dumps(data, default=default, indent=2, ensure_ascii=False) + "\n")


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``KBError`` into a one-line message naming its input and exit code 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except KBError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from err

    return wrapper
