"""Text extraction: turn one exported file's bytes into Markdown-ish text for the chunker.

Headings come out as ``#`` lines so the heading-aware chunker can split on them. The kind of a
file is decided by its extension, then by its MIME type (Google-native files were exported to
docx/xlsx/pptx/md/pdf). Office formats live in ``ingestors.extract_office``; this module holds
the dispatch and the plain-text formats.

Every failure is an ``IngestError`` whose subject names the file; callers turn it into an
``IngestIssue`` and go on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from ingestors import extract_office
from kb.config import IngestSettings
from kb.errors import IngestError

# Caps so that one huge sheet or CSV cannot blow memory or the index.
MAX_ROWS_PER_SHEET = 5_000
MAX_CELLS_PER_ROW = 100
MAX_CELLS_TOTAL = 200_000

EXTENSIONS: dict[str, str] = {
    ".docx": "docx",
    ".pdf": "pdf",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".csv": "csv",
}

MIME_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/markdown": "md",
    "text/x-markdown": "md",
    "text/plain": "txt",
    "text/csv": "csv",
    # Google-native files carry their Drive type; these are the exporter's default formats.
    "application/vnd.google-apps.document": "docx",
    "application/vnd.google-apps.spreadsheet": "xlsx",
    "application/vnd.google-apps.presentation": "pptx",
}


@dataclass
class Extracted:
    """Text of one file plus non-fatal notes (e.g. a sheet cut at the row cap)."""

    text: str
    warnings: list[str] = field(default_factory=list)


def kind_of(name: str, mime_type: str | None) -> str | None:
    """The extractor for a file: by extension first, then MIME type; None when unsupported."""
    dot = name.rfind(".")
    if dot > 0:
        kind = EXTENSIONS.get(name[dot:].lower())
        if kind:
            return kind
    return MIME_TYPES.get((mime_type or "").lower())


_MAX_ENTRY_BYTES: int = IngestSettings.model_fields["max_entry_bytes"].default
OFFICE = {"docx", "pptx", "xlsx"}


def extract_text(
    data: bytes, name: str, mime_type: str | None = None, *, max_bytes: int = _MAX_ENTRY_BYTES
) -> Extracted:
    """Extract text from ``data`` (the content of the file ``name``); an Office file (a zip) may
    unpack to at most ``max_bytes`` (``ingest.max_entry_bytes``).

    Raises ``IngestError`` naming ``name`` for unsupported, undecodable, encrypted or corrupt
    files, and for Office files that would unpack past the cap (``extract_office.check_package``).
    """
    kind = kind_of(name, mime_type)
    if kind is None:
        raise IngestError(f"unsupported file type (mimeType {mime_type or 'unknown'})", subject=name)
    extractor = _EXTRACTORS[kind]
    if kind in OFFICE:
        extract_office.check_package(data, name, max_bytes)
    try:
        out = extractor(data, name)
    except IngestError:
        raise
    except Exception as err:  # the parsers raise anything from KeyError to lxml errors on bad input
        raise IngestError(f"cannot read {kind} file: {type(err).__name__}: {err}", subject=name) from err
    out.text = tidy(out.text)
    return out


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with a BOM); anything else is an error naming the file."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encoding = "utf-16" if utf16 else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise IngestError(f"not valid UTF-8 text (byte {err.start})", subject=name) from err


def tidy(text: str) -> str:
    """Strip trailing spaces, collapse runs of blank lines, normalise newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _plain(data: bytes, name: str) -> Extracted:
    return Extracted(decode(data, name))


def _csv(data: bytes, name: str) -> Extracted:
    rows: list[str] = []
    warnings: list[str] = []
    for i, row in enumerate(csv.reader(io.StringIO(decode(data, name)))):
        if i >= MAX_ROWS_PER_SHEET:
            warnings.append(f"only the first {MAX_ROWS_PER_SHEET} rows were read")
            break
        cells = [c.strip() for c in row[:MAX_CELLS_PER_ROW]]
        if any(cells):
            rows.append(" | ".join(cells))
    return Extracted("\n".join(rows), warnings)


_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "ul",
    "ol",
    "table",
    "pre",
    "blockquote",
    "dl",
    "dt",
    "dd",
    "figure",
    "br",
    "hr",
}


def _html(data: bytes, name: str) -> Extracted:
    soup = BeautifulSoup(decode(data, name), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag):
            continue
        if re.fullmatch(r"h[1-6]", tag.name):
            heading = " ".join(tag.get_text(" ").split())
            tag.replace_with(NavigableString(f"\n\n{'#' * int(tag.name[1])} {heading}\n\n"))
        elif tag.name == "li":
            tag.insert_before(NavigableString("\n- "))
        elif tag.name in ("td", "th"):
            tag.insert_after(NavigableString(" | "))
        elif tag.name == "tr":
            tag.insert_after(NavigableString("\n"))
        elif tag.name in _BLOCK_TAGS:
            tag.insert_before(NavigableString("\n"))
            tag.insert_after(NavigableString("\n"))
    lines = []
    for line in soup.get_text().split("\n"):
        line = " ".join(line.split())
        lines.append(line.removesuffix(" |").removesuffix("|").rstrip())
    return Extracted("\n".join(lines))


def _xlsx(data: bytes, name: str) -> Extracted:
    text, warnings = extract_office.xlsx_text(data, MAX_ROWS_PER_SHEET, MAX_CELLS_PER_ROW, MAX_CELLS_TOTAL)
    return Extracted(text, warnings)


_EXTRACTORS: dict[str, Callable[[bytes, str], Extracted]] = {
    "txt": _plain,
    "md": _plain,
    "csv": _csv,
    "html": _html,
    "docx": lambda data, name: Extracted(extract_office.docx_text(data)),
    "pptx": lambda data, name: Extracted(extract_office.pptx_text(data)),
    "pdf": lambda data, name: Extracted(extract_office.pdf_text(data, name)),
    "xlsx": _xlsx,
}
