"""Render a Markdown body as the file formats a Drive export holds: docx, pdf, xlsx and md.

Each writer returns bytes that depend only on its inputs: document dates come from the
manifest's times and zip entries get fixed times (see ``acme_common.normalize_zip``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from acme_common import normalize_zip

Block = tuple[str, object]  # ("heading", (level, text)) | ("para", text) | ("bullet"|"number", text)
# | ("code", [lines]) | ("table", [[cells]])


def plain(text: str) -> str:
    """Inline Markdown to plain text: office documents carry no backticks or asterisks."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return text.replace("`", "")


def blocks(body: str) -> Iterator[Block]:
    """Split a Markdown body into headings, paragraphs, list items, code blocks and tables."""
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
        elif line.startswith("```"):
            code = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                code.append(lines[i])
                i += 1
            i += 1
            yield ("code", code)
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r"-+", c) for c in cells):
                    rows.append([plain(c) for c in cells])
                i += 1
            yield ("table", rows)
        elif m := re.match(r"(#{2,4}) (.+)", line):
            yield ("heading", (len(m.group(1)) - 1, plain(m.group(2))))
            i += 1
        elif m := re.match(r"- (.+)", line):
            yield ("bullet", plain(m.group(1)))
            i += 1
        elif m := re.match(r"\d+\. (.+)", line):
            yield ("number", plain(m.group(1)))
            i += 1
        else:
            para = [line.strip()]
            i += 1
            while i < len(lines) and lines[i].strip() and not re.match(r"(#|- |\d+\. |\||```)", lines[i]):
                para.append(lines[i].strip())
                i += 1
            yield ("para", plain(" ".join(para)))


def _dt(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


def docx_bytes(title: str, body: str, author: str, editor: str, created: str, modified: str) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    core = doc.core_properties
    core.title, core.author, core.last_modified_by, core.revision = title, author, editor, 1
    # python-docx wants naive UTC datetimes here.
    core.created = _dt(created).replace(tzinfo=None)
    core.modified = _dt(modified).replace(tzinfo=None)
    doc.add_heading(title, 0)
    for kind, value in blocks(body):
        if kind == "heading":
            level, text = value  # type: ignore[misc]
            doc.add_heading(text, level)
        elif kind in ("bullet", "number"):
            doc.add_paragraph(str(value), style="List Bullet" if kind == "bullet" else "List Number")
        elif kind == "code":
            for code_line in value:  # type: ignore[attr-defined]
                run = doc.add_paragraph().add_run(code_line)
                run.font.name, run.font.size = "Courier New", Pt(9)
        elif kind == "table":
            rows: list[list[str]] = value  # type: ignore[assignment]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            doc.add_paragraph(str(value))
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue(), _dt(modified).timetuple()[:6])


def _latin1(text: str) -> str:
    """The core PDF fonts are latin-1 only."""
    for a, b in {"—": "-", "–": "-", "→": "->", "’": "'", "“": '"', "”": '"', "⚠️": "!"}.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(title: str, body: str, author: str, modified: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(_dt(modified))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    for kind, value in blocks(body):
        if kind == "heading":
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 8, _latin1(value[1]), new_x="LMARGIN", new_y="NEXT")  # type: ignore[index]
            continue
        if kind == "code":
            pdf.set_font("Courier", "", 9)
            text = "\n".join(value)  # type: ignore[arg-type]
        elif kind == "table":
            pdf.set_font("Helvetica", "", 10)
            text = "\n".join(" | ".join(row) for row in value)  # type: ignore[attr-defined]
        else:
            pdf.set_font("Helvetica", "", 11)
            text = f"- {value}" if kind in ("bullet", "number") else str(value)
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())


def xlsx_bytes(body: str, author: str, created: str, modified: str) -> bytes:
    """One sheet per ``## `` heading, holding the table under it."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = author
    wb.properties.created = _dt(created).replace(tzinfo=None)
    sheet = None
    for kind, value in blocks(body):
        if kind == "heading":
            sheet = wb.create_sheet(str(value[1])[:31])  # type: ignore[index]
        elif kind == "table" and sheet is not None:
            for row in value:  # type: ignore[attr-defined]
                sheet.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    stamp = _dt(modified).strftime("%Y-%m-%dT%H:%M:%SZ")
    fix = {
        "docProps/core.xml": (r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>")
    }
    return normalize_zip(buf.getvalue(), _dt(modified).timetuple()[:6], fix)


def md_bytes(title: str, body: str) -> bytes:
    return f"# {title}\n\n{body}\n".encode()
