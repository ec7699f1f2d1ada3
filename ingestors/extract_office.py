"""Office and PDF extractors (docx, pptx, xlsx, pdf) behind ``ingestors.extract``.

Each takes the file's bytes and returns Markdown-ish text: Word headings become ``#`` lines,
slides ``## Slide N: title``, sheets ``## <sheet>`` with ``|``-joined rows. Parser exceptions
propagate; ``extract.extract_text`` turns them into an ``IngestError`` naming the file.

docx, pptx and xlsx are zips that python-docx, python-pptx and openpyxl unpack into memory, so a
small file can be a zip bomb (a 0.55 MB docx holding 200 MB of text raised peak RSS by 763 MB).
``check_package`` reads the zip's directory first and refuses, naming the file, one whose parts
declare more than ``ingest.max_entry_bytes`` unpacked in total (the cap an export's entries
already have), or more than ``MAX_RATIO`` times their compressed size once past
``RATIO_FLOOR``. A part whose header understates its size cannot get past it either: Python's
``zipfile`` stops reading a part at its declared size and fails on the CRC.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
import openpyxl
import pptx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pptx.shapes.group import GroupShape
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from kb.errors import IngestError

_HEADING = re.compile(r"heading\s*([1-9])", re.IGNORECASE)

MAX_RATIO = 100
"""Most an Office file may unpack to, per byte of its compressed parts. Real files are far below:
Word and PowerPoint XML deflates about 5-15 to 1, images are stored already compressed."""
RATIO_FLOOR = 10_000_000
"""Below this many unpacked bytes the ratio is not checked: small files are harmless whatever it is."""


def check_package(data: bytes, name: str, max_bytes: int) -> None:
    """Refuse an Office file (a zip) whose parts would unpack to more than ``max_bytes`` in
    total, or to more than ``MAX_RATIO`` times their compressed size, before a parser opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = zf.infolist()
    except zipfile.BadZipFile:
        return  # not a zip: the parser says so, as for any corrupt file
    unpacked = sum(p.file_size for p in parts)
    if unpacked > max_bytes:
        raise IngestError(
            f"Office file unpacks to {unpacked} bytes, over ingest.max_entry_bytes ({max_bytes}); not read",
            subject=name,
        )
    packed = max(1, sum(p.compress_size for p in parts))
    if unpacked > RATIO_FLOOR and unpacked > MAX_RATIO * packed:
        raise IngestError(
            f"Office file unpacks to {unpacked} bytes from {packed} ({unpacked // packed}:1, over "
            f"{MAX_RATIO}:1: a zip bomb?); not read",
            subject=name,
        )


# --- docx ---------------------------------------------------------------------------------------


def _paragraph_md(p: Paragraph) -> str:
    text = p.text.strip()
    if not text:
        return ""
    style = (p.style.name if p.style is not None else "") or ""
    m = _HEADING.fullmatch(style.strip())
    if m:
        return f"{'#' * int(m.group(1))} {text}"
    if style == "Title":
        return f"# {text}"
    if style.startswith("List"):
        return f"- {text}"
    return text


def _table_md(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # Merged cells are returned once per grid column; keep each underlying cell once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.append(_paragraph_md(item))
        else:
            blocks.append("\n".join(_table_md(item)))
    return "\n\n".join(b for b in blocks if b)


# --- pdf ----------------------------------------------------------------------------------------


def pdf_text(data: bytes, name: str) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            # Only PDFs with an empty user password (owner-password-only) can be read.
            raise IngestError("PDF is encrypted (password required)", subject=name)
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except FileNotDecryptedError as err:
        raise IngestError("PDF is encrypted (password required)", subject=name) from err
    except PdfReadError as err:
        raise IngestError(f"broken PDF: {err}", subject=name) from err
    return "\n\n".join(p for p in pages if p)


# --- pptx ---------------------------------------------------------------------------------------


def _shape_texts(shapes: Any) -> Iterator[str]:
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shape_texts(shape.shapes)
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                if any(cells):
                    yield " | ".join(cells)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            text = shape.text_frame.text.strip()
            if text:
                yield text


def pptx_text(data: bytes) -> str:
    presentation = pptx.Presentation(io.BytesIO(data))
    blocks: list[str] = []
    for n, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        others = [s for s in slide.shapes if title_shape is None or s.shape_id != title_shape.shape_id]
        parts = [f"## Slide {n}: {title}" if title else f"## Slide {n}", *_shape_texts(others)]
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                parts.append(f"Notes: {notes}")
        blocks.append("\n\n".join(parts))
    return "\n\n".join(blocks)


# --- xlsx ---------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def xlsx_text(data: bytes, max_rows: int, max_cells_per_row: int, max_cells: int) -> tuple[str, list[str]]:
    """Rows of every sheet, capped: read_only mode streams rows instead of loading the sheet."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    blocks: list[str] = []
    warnings: list[str] = []
    total = 0
    try:
        for sheet in workbook.worksheets:
            rows: list[str] = []
            for i, row in enumerate(sheet.iter_rows(values_only=True)):
                if i >= max_rows or total >= max_cells:
                    warnings.append(f"sheet '{sheet.title}' cut at {len(rows)} rows (row/cell cap)")
                    break
                cells = [_cell(v) for v in row[:max_cells_per_row]]
                total += len(cells)
                while cells and not cells[-1]:
                    cells.pop()
                if any(cells):
                    rows.append(" | ".join(cells))
            blocks.append("\n".join([f"## {sheet.title}", *rows]))
    finally:
        workbook.close()
    return "\n\n".join(blocks), warnings
