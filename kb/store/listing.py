"""Newest-first listing of an append-only table (audit rows, feedback): equality filters, a
``since`` bound on ``at``, a limit, JSON columns decoded, each row validated into its model.

Table and column names come from the calling repository's code, never from a request, and are
quoted (``user`` is a reserved word in PostgreSQL); values are always bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from kb.clock import utc
from kb.store.db import Database

M = TypeVar("M", bound=BaseModel)


def _quoted(name: str) -> str:
    return f'"{name}"'


def newest_first(
    db: Database,
    table: str,
    columns: Sequence[str],
    model: type[M],
    *,
    equal: Mapping[str, object | None] | None = None,
    since: datetime | None = None,
    limit: int,
    json_columns: Sequence[str] = ("doc_ids",),
) -> list[M]:
    """Rows of ``table`` (id descending) whose ``equal`` columns match (a None or empty value
    does not filter) and whose ``at`` is at or after ``since``."""
    sql = f"SELECT {', '.join(_quoted(c) for c in columns)} FROM {table} WHERE 1=1"
    params: list[object] = []
    for column, value in (equal or {}).items():
        if value:
            sql += f" AND {_quoted(column)} = ?"
            params.append(value)
    if since:
        sql += " AND at >= ?"
        params.append(utc(since).isoformat())
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    out = []
    for row in db.execute(sql, tuple(params)):
        data = dict(row)
        for column in json_columns:
            data[column] = json.loads(data[column])
        out.append(model.model_validate(data))
    return out
