"""Chunks follow Markdown sections, carry their heading path, and have deterministic ids."""

from __future__ import annotations

from kb.config import IndexSettings
from kb.ingest.chunking import chunk_document, embedding_text
from kb.records import Document

TEXT = """# Billing Migration

Owner: Priya Raman

We are moving invoices to the new ledger.

## Invoicing

Invoices are generated nightly by the ledger job.

### Retries

Failed invoices retry three times.

```
# not a heading inside code
```

## Refunds

Refunds go through the support queue.
"""


def _doc(text: str, title: str = "Billing Migration") -> Document:
    return Document(doc_id="notion:abc", source="notion", title=title, text=text)


def test_chunks_follow_sections_with_heading_paths() -> None:
    chunks = chunk_document(_doc(TEXT), IndexSettings())
    assert [c.chunk_id for c in chunks] == [f"notion:abc#{i}" for i in range(4)]
    assert [c.heading for c in chunks] == [
        "Billing Migration",
        "Billing Migration / Invoicing",
        "Billing Migration / Invoicing / Retries",
        "Billing Migration / Refunds",
    ]
    assert chunks[1].text == "Invoices are generated nightly by the ledger job."
    assert "# not a heading inside code" in chunks[2].text
    assert all(not c.text.startswith("#") for c in chunks)
    assert chunks[0].metadata == {"title": "Billing Migration", "source": "notion"}


def test_embedding_text_prefixes_title_and_heading() -> None:
    chunk = chunk_document(_doc(TEXT), IndexSettings())[3]
    assert embedding_text(chunk) == (
        "Billing Migration\nBilling Migration / Refunds\nRefunds go through the support queue."
    )


def test_long_sections_are_split_with_the_same_heading() -> None:
    body = " ".join(f"Sentence number {i} talks about the ledger." for i in range(200))
    chunks = chunk_document(_doc(f"## Ledger\n\n{body}"), IndexSettings(chunk_size=64, chunk_overlap=8))
    assert len(chunks) > 5
    assert {c.heading for c in chunks} == {"Ledger"}
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert "Sentence number 199" in chunks[-1].text


def test_empty_document_gives_one_chunk_with_the_title() -> None:
    for text in ("", "  \n", "# Only A Heading\n"):
        chunks = chunk_document(_doc(text, title="Empty page"), IndexSettings())
        assert [(c.chunk_id, c.text, c.heading) for c in chunks] == [("notion:abc#0", "Empty page", "")]
        assert embedding_text(chunks[0]) == "Empty page"


def test_chunking_is_deterministic() -> None:
    assert chunk_document(_doc(TEXT), IndexSettings()) == chunk_document(_doc(TEXT), IndexSettings())
