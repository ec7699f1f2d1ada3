"""Heading-aware chunking: Markdown sections (llama-index ``MarkdownNodeParser``), then token
windows within a section (``SentenceSplitter``).

``Chunk.text`` is the clean section text (what snippets show and BM25 indexes). What gets embedded
is ``embedding_text(chunk)``: the document title and heading path in front of the text, so that a
short chunk ("Run it every Monday.") keeps the context that makes it findable.
"""

from __future__ import annotations

import re
from functools import lru_cache

from llama_index.core.node_parser import MarkdownNodeParser, SentenceSplitter
from llama_index.core.schema import Document as LIDocument

from kb.config import IndexSettings
from kb.records import Chunk, Document

_SEP = "\x1f"  # header path separator that cannot occur in a heading
_HEADER = re.compile(r"^(#+)\s+(.*)$")


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=min(chunk_overlap, chunk_size // 2))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownNodeParser:
    return MarkdownNodeParser.from_defaults(
        include_metadata=True, include_prev_next_rel=False, header_path_separator=_SEP
    )


def sections(text: str) -> list[tuple[str, str]]:
    """(heading path, body) per Markdown section, skipping sections with no body."""
    nodes = _markdown().get_nodes_from_documents([LIDocument(text=text)])
    out: list[tuple[str, str]] = []
    for node in nodes:
        body = node.get_content()
        parents = [h.strip() for h in str(node.metadata.get("header_path", "")).split(_SEP) if h.strip()]
        first, _, rest = body.partition("\n")
        match = _HEADER.match(first)
        if match:
            parents.append(match.group(2).strip())
            body = rest
        if body.strip():
            out.append((" / ".join(parents), body.strip()))
    return out


def chunk_document(doc: Document, settings: IndexSettings) -> list[Chunk]:
    """Chunks with ids ``<doc_id>#<i>``; an empty document gives one chunk holding its title."""
    pieces: list[tuple[str, str]] = []
    splitter = _splitter(settings.chunk_size, settings.chunk_overlap)
    for heading, body in sections(doc.text) if doc.text.strip() else []:
        pieces.extend((heading, piece) for piece in splitter.split_text(body) if piece.strip())
    if not pieces:
        pieces = [("", doc.title)]
    meta: dict[str, str | int | float | bool] = {"title": doc.title, "source": doc.source}
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{i}",
            doc_id=doc.doc_id,
            index=i,
            text=text,
            heading=heading,
            metadata=dict(meta),
        )
        for i, (heading, text) in enumerate(pieces)
    ]


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for ``chunk``: title and heading path, then the text."""
    title = str(chunk.metadata.get("title", ""))
    lines = [title] if title and title != chunk.text else []
    if chunk.heading and chunk.heading != title:
        lines.append(chunk.heading)
    return "\n".join([*lines, chunk.text])
