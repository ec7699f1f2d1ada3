"""Notion database CSVs (``Name <id>_all.csv``) and matching their rows to the row pages.

The ``_all.csv`` holds every property of every row (UTF-8 with a BOM, CRLF), including properties
a row page's Markdown leaves out. Rows carry no page id, so they are matched to row pages by title
(cells have trailing spaces: ``"@December 1, 2024 "``), and, for pages whose title renders
differently in the Markdown (date mentions become ``@Today``), by agreeing property values.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from kb.errors import IngestError


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str]]

    @property
    def title_column(self) -> str:
        return self.columns[0]


def _norm(value: str) -> str:
    return " ".join(value.split())


def read_table(data: bytes, label: str) -> Table:
    """Parse a database CSV strictly; ``IngestError`` naming the file for any malformation."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise IngestError(
            f"CSV is not valid UTF-8 ({err.reason} at byte {err.start})", subject=label
        ) from err
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise IngestError("CSV has no header row", subject=label)
        columns = [h.strip() for h in header]
        rows: list[dict[str, str]] = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(columns):
                raise IngestError(
                    f"line {reader.line_num}: {len(row)} fields but the header has "
                    f"{len(columns)} (ragged row)",
                    subject=label,
                )
            rows.append({c: _norm(v) for c, v in zip(columns, row, strict=True)})
    except csv.Error as err:
        raise IngestError(f"malformed CSV at line {reader.line_num}: {err}", subject=label) from err
    return Table(columns, rows)


def _agrees(row: dict[str, str], props: dict[str, str]) -> bool:
    shared = [k for k in props if k in row]
    return bool(shared) and all(row[k] == _norm(props[k]) for k in shared)


def match_rows(table: Table, pages: dict[str, tuple[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """Row for each page key it can be matched to without guessing.

    ``pages`` maps a page key to (title, properties read from its Markdown).
    """
    by_title: dict[str, list[int]] = {}
    for i, row in enumerate(table.rows):
        by_title.setdefault(row[table.title_column], []).append(i)
    matched: dict[str, int] = {}
    for key, (title, props) in pages.items():
        candidates = by_title.get(_norm(title), [])
        if len(candidates) > 1:
            candidates = [i for i in candidates if _agrees(table.rows[i], props)]
        if len(candidates) == 1:
            matched[key] = candidates[0]
    # A row claimed by two pages is ambiguous: neither gets it.
    counts = Counter(matched.values())
    matched = {k: i for k, i in matched.items() if counts[i] == 1}

    used = set(matched.values())
    second: dict[str, int] = {}
    for key, (_title, props) in pages.items():
        if key in matched or not props:
            continue
        candidates = [i for i, row in enumerate(table.rows) if i not in used and _agrees(row, props)]
        if len(candidates) == 1:
            second[key] = candidates[0]
    counts = Counter(second.values())
    matched.update({k: i for k, i in second.items() if counts[i] == 1})
    return {k: table.rows[i] for k, i in matched.items()}
