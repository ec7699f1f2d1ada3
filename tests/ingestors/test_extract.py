"""Text extraction from real files built here with python-docx, fpdf2, python-pptx and openpyxl."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pptx
import pytest
from fpdf import FPDF
from pptx.util import Inches

from ingestors import extract
from ingestors.extract import extract_text, kind_of
from kb.errors import IngestError


def docx_bytes() -> bytes:
    d = docx.Document()
    d.add_heading("Onboarding Guide", level=1)
    d.add_paragraph("Welcome to Acme.")
    d.add_heading("Laptop setup", level=2)
    d.add_paragraph("Install the VPN client first.")
    d.add_paragraph("Ask IT for a badge", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "System", "Owner"
    table.cell(1, 0).text, table.cell(1, 1).text = "VPN", "it@acme.com"
    d.add_paragraph("After the table.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pdf_bytes(text: str = "Incident runbook: page the on-call engineer.", *, password: str = "") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Second page: escalate after 30 minutes.")
    if password:
        pdf.set_encryption(owner_password="owner-secret", user_password=password)
    return bytes(pdf.output())


def pptx_bytes() -> bytes:
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = "Q3 Roadmap"
    slide.placeholders[1].text = "Ship search v2"
    slide.notes_slide.notes_text_frame.text = "Mention the freshness ranking."
    slide2 = prs.slides.add_slide(prs.slide_layouts[5])
    slide2.shapes.title.text = "Risks"
    box = slide2.shapes.add_textbox(Inches(1), Inches(2), Inches(4), Inches(1))
    box.text_frame.text = "Hiring is slow"
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def xlsx_bytes(rows: int = 3) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Vendors"
    ws.append(["Vendor", "Contact", "Renewal"])
    for i in range(rows - 1):
        ws.append([f"Vendor {i}", f"v{i}@example.com", 2026 + i])
    wb.create_sheet("Notes").append(["Review yearly", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HTML = b"""<html><head><title>x</title><style>p{color:red}</style><script>var a=1;</script></head>
<body><h1>Expense policy</h1><p>Submit receipts within <b>30 days</b>.</p>
<h2>Travel</h2><ul><li>Economy class</li><li>Hotels under $200</li></ul>
<table><tr><th>Item</th><th>Limit</th></tr><tr><td>Meals</td><td>$50</td></tr></table></body></html>"""


def test_docx_headings_become_markdown_and_tables_rows() -> None:
    text = extract_text(docx_bytes(), "guide.docx").text
    assert text.split("\n\n") == [
        "# Onboarding Guide",
        "Welcome to Acme.",
        "## Laptop setup",
        "Install the VPN client first.",
        "- Ask IT for a badge",
        "System | Owner\nVPN | it@acme.com",
        "After the table.",
    ]


def test_pdf_text_of_every_page() -> None:
    text = extract_text(pdf_bytes(), "runbook.pdf").text
    assert "Incident runbook: page the on-call engineer." in text
    assert "Second page: escalate after 30 minutes." in text


def test_encrypted_pdf_is_an_error_naming_the_file() -> None:
    with pytest.raises(IngestError) as err:
        extract_text(pdf_bytes(password="user-secret"), "locked.pdf")
    assert err.value.subject == "locked.pdf"
    assert "encrypted" in err.value.message


def test_owner_password_only_pdf_is_read() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Readable without a password")
    pdf.set_encryption(owner_password="owner-secret")
    assert "Readable without a password" in extract_text(bytes(pdf.output()), "open.pdf").text


def test_pptx_one_heading_per_slide_with_body_and_notes() -> None:
    text = extract_text(pptx_bytes(), "roadmap.pptx").text
    assert text.split("\n\n") == [
        "## Slide 1: Q3 Roadmap",
        "Ship search v2",
        "Notes: Mention the freshness ranking.",
        "## Slide 2: Risks",
        "Hiring is slow",
    ]


def test_xlsx_sheets_as_headings_and_rows() -> None:
    out = extract_text(xlsx_bytes(), "vendors.xlsx")
    assert out.text == (
        "## Vendors\nVendor | Contact | Renewal\nVendor 0 | v0@example.com | 2026\n"
        "Vendor 1 | v1@example.com | 2027\n\n## Notes\nReview yearly"
    )
    assert out.warnings == []


def test_xlsx_rows_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_ROWS_PER_SHEET", 5)
    out = extract_text(xlsx_bytes(rows=50), "big.xlsx")
    assert out.text.split("\n\n## Notes")[0].count("\n") == 5  # heading + 5 rows
    assert out.warnings == ["sheet 'Vendors' cut at 5 rows (row/cell cap)"]


def test_html_keeps_headings_lists_and_drops_scripts() -> None:
    text = extract_text(HTML, "policy.html").text
    assert text == (
        "# Expense policy\n\nSubmit receipts within 30 days.\n\n## Travel\n\n"
        "- Economy class\n- Hotels under $200\n\nItem | Limit\nMeals | $50"
    )


def test_markdown_and_text_decode_utf8_with_bom() -> None:
    assert extract_text(b"# Title\n\nBody\n", "notes.md").text == "# Title\n\nBody"
    assert extract_text("\ufeffCaf\u00e9 menu\r\n".encode(), "menu.txt").text == "Caf\u00e9 menu"


def test_undecodable_text_is_an_error_naming_the_file() -> None:
    with pytest.raises(IngestError) as err:
        extract_text(b"caf\xe9 \xff\xfe broken", "latin1.txt")
    assert err.value.subject == "latin1.txt"
    assert "UTF-8" in err.value.message


@pytest.mark.parametrize("name", ["broken.docx", "broken.xlsx", "broken.pptx", "broken.pdf"])
def test_corrupt_office_files_are_errors_naming_the_file(name: str) -> None:
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("hello.txt", "not an office file")
    for data in (b"this is not a zip or pdf", junk.getvalue()):
        with pytest.raises(IngestError) as err:
            extract_text(data, name)
        assert err.value.subject == name


def test_kind_by_extension_then_mime_type() -> None:
    assert kind_of("Plan.docx", "application/vnd.google-apps.document") == "docx"
    assert kind_of("Plan.md", "application/vnd.google-apps.document") == "md"
    assert kind_of("Plan", "application/vnd.google-apps.spreadsheet") == "xlsx"
    assert kind_of("scan.PDF", None) == "pdf"
    assert kind_of("photo.png", "image/png") is None


def test_unknown_type_is_an_error_naming_the_file() -> None:
    with pytest.raises(IngestError) as err:
        extract_text(b"\x89PNG", "photo.png", "image/png")
    assert err.value.subject == "photo.png"
    assert "image/png" in err.value.message
