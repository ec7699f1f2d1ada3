"""Readable sentences from a chunk's Markdown text (or a whitespace-folded snippet of it), for the
extractive answerer.

- Markdown syntax goes, content stays: emphasis markers, link targets, list bullets, headings
  and backticks are removed, but never a character inside an identifier or a code span
  (``tenant_id`` and ``acme_billing_usage_upload_failures_total`` stay as they are).
- A table row becomes one sentence: with a header, "Data: Application logs (Loki); Retention:
  30 days."; without one, its cells joined by "; ". Rows are never run together.
- Text extracted from PDFs wraps lines mid-sentence and has headings without ``#``: a long line
  without a sentence end continues on the next line, and a short line without one is a heading.
- Fragments are dropped: pieces under ``MIN_WORDS`` words, headings, and the piece a snippet's
  " …" cut.
- Code is kept whole: a code span (``30 1 * * *``, ``uv venv -p python3.13``) is never split at
  the asterisks or dots inside it, and a short fenced block (a command) joins the sentence that
  introduces it ("Install it with:" + the command).
"""

from __future__ import annotations

import re

MIN_WORDS = 4
ELLIPSIS = "…"  # kb.search.retrieval ends a snippet cut at its size limit with " …"
# Sentence ends, and list bullets inside a folded line ("Steps: - Rotate ... - Tell ...").
_SPLIT = re.compile(r"(?<=[.!?])\s+|\s+[-*•]\s+")
_LINE_PREFIX = re.compile(r"^\s*(?:>\s*)*(?:[-*+•]\s+|\d{1,2}[.)]\s+)?")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_BLOCK_START = re.compile(r"^\s*(?:#|>|[-*+•]\s|\d{1,2}[.)]\s|\|)")
_ENDS = (".", "!", "?", ":", ";")
# A wrapped line (PDF text) runs to about the page width; a shorter one ends its paragraph.
WRAPPED_LINE_CHARS = 60
HEADING_WORDS = 6
_SEP_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
# A Markdown separator row anywhere in a line: "| --- | :---: |".
_SEP_ROW = re.compile(r"\|(?:\s*:?-{3,}:?\s*\|)+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_CODE = re.compile(r"(`+)(.*?)\1")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Placeholders for code spans while a line is split into sentences (private-use characters).
_HOLD = "\ue000{}\ue001"
_HELD = re.compile("\ue000(\\d+)\ue001")
FENCED_LINES = 3  # a fenced block this short (a command or two) is quoted with its lead-in
FENCED_CHARS = 160
# Emphasis markers open before a word or close after one; '_' inside a word is part of it.
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]{1,3}(?=[^\s*_])|(?<=[^\s*_])[*_]{1,3}(?![\w*_])")


def clean_inline(text: str) -> str:
    """Text without Markdown inline syntax; code spans keep their content verbatim."""
    text = _LINK.sub(r"\1", _IMAGE.sub("", text))
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(_EMPHASIS.sub("", text[last : m.start()]))
        out.append(m.group(2).strip())
        last = m.end()
    out.append(_EMPHASIS.sub("", text[last:]))
    return " ".join("".join(out).split())


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") else row
    return [c.strip() for c in row.split("|")]


def _is_separator(cells: list[str]) -> bool:
    return bool(cells) and all(_SEP_CELL.match(c) for c in cells)


def _looks_like_header(cells: list[str]) -> bool:
    """Column names: a few words each, no numbers (a data row nearly always has one)."""
    return all(c and len(c.split()) <= 3 and not re.search(r"\d", c) for c in cells)


def table_sentences(rows: list[str]) -> list[str]:
    """One sentence per data row of a table block (consecutive pipe-separated lines)."""
    parsed = [_cells(r) for r in rows]
    header: list[str] | None = None
    if len(parsed) >= 2 and _is_separator(parsed[1]):
        header, parsed = parsed[0], parsed[2:]
    elif len(parsed) >= 2 and _looks_like_header(parsed[0]):
        header, parsed = parsed[0], parsed[1:]
    out = []
    for cells in parsed:
        if _is_separator(cells):
            continue
        cells = [clean_inline(c) for c in cells]
        if header is not None:
            names = [clean_inline(h) for h in header]
            parts = [f"{n}: {c}" if n else c for n, c in zip(names, cells, strict=False) if c]
            parts += [c for c in cells[len(names) :] if c]
        else:
            parts = [c for c in cells if c]
        if len(parts) >= 2 or (parts and len(parts[0].split()) >= MIN_WORDS):
            out.append("; ".join(parts).rstrip(".;") + ".")
    return out


def _unfold(line: str) -> list[str]:
    """Lines of a whitespace-folded Markdown table ("| a | b | | --- | --- | | 1 | 2 |"): the
    separator row gives the column count, which is what tells the rows apart."""
    m = _SEP_ROW.search(line)
    before = line[: m.start()].rstrip() if m else ""
    if m is None or not before.endswith("|"):
        return [line]
    n = len(_cells(m.group(0)))
    head = before[:-1].rsplit("|", n)
    if len(head) != n + 1:
        return [line]
    rest = line[m.end() :]
    end = rest.rfind("|")
    tokens = [t.strip() for t in rest[:end].strip().removeprefix("|").split("|")] if end >= 0 else []
    rows = ["| " + " | ".join(tokens[i : i + n]) + " |" for i in range(0, len(tokens), n + 1)]
    header = "| " + " | ".join(c.strip() for c in head[1:]) + " |"
    tail = rest[end + 1 :] if end >= 0 else rest
    return [head[0], header, m.group(0), *rows, *_unfold(tail)]


def _is_row(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") or s.count(" | ") >= 1


def _continues(prev: str, line: str) -> bool:
    """Whether ``line`` goes on with the sentence ``prev`` was wrapped in."""
    prev, line = prev.rstrip(), line.strip()
    if not prev or not line or prev.endswith(_ENDS) or _is_row(prev) or _is_row(line):
        return False
    if _BLOCK_START.match(line) or _HEADING.match(prev) or _FENCE.match(prev) or _FENCE.match(line):
        return False
    return len(prev) >= WRAPPED_LINE_CHARS or line[0].islower()


def _logical_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and _continues(out[-1], line):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def _is_plain_heading(line: str) -> bool:
    """A title line without ``#`` ("Bank payments"): short, no sentence end, number or colon."""
    s = line.strip()
    return (
        0 < len(s.split()) <= HEADING_WORDS
        and not s.endswith(_ENDS)
        and not _BLOCK_START.match(s)
        and not re.search(r"[\d:]", s)
    )


def _prose(line: str) -> list[str]:
    if _is_plain_heading(line):
        return []
    if _HEADING.match(line):
        body = _HEADING.sub("", line)
        if len(body.split()) <= 12 and not _SPLIT.search(body):
            return []  # a heading names a section; it says nothing by itself
        line = body  # a folded snippet: the heading runs into the text
    spans: list[str] = []

    def hold(m: re.Match[str]) -> str:
        spans.append(m.group(2).strip())
        return _HOLD.format(len(spans) - 1)

    line = _LINE_PREFIX.sub("", line)
    held = _CODE.sub(hold, line)  # a code span's '*' or '. ' is not a bullet or a sentence end
    out = []
    for piece in _SPLIT.split(held):
        s = clean_inline(_LINE_PREFIX.sub("", piece)).strip(" -|")
        s = _HELD.sub(lambda m: spans[int(m.group(1))], s)
        if len(s.split()) >= MIN_WORDS:
            out.append(s if s[-1] in ".!?:" else s + ".")
    return out


def _code_block(lines: list[str], out: list[str]) -> None:
    """A short fenced block joins the sentence before it when that one introduces it (ends
    with ':'): "Install it with: pip install ruff." Longer blocks (configs, listings) are left out."""
    code = [c.strip() for c in lines if c.strip()]
    text = "; ".join(code)
    if out and out[-1].endswith(":") and code and len(code) <= FENCED_LINES and len(text) <= FENCED_CHARS:
        out[-1] = f"{out[-1]} {text}"


def split_sentences(text: str) -> list[str]:
    """The readable sentences of a chunk text or snippet, in order."""
    cut = text.rstrip().endswith(ELLIPSIS)
    text = text.rstrip().removesuffix(ELLIPSIS) if cut else text
    lines = [part for line in text.replace(ELLIPSIS, " ").splitlines() for part in _unfold(line)]
    lines = _logical_lines(lines)
    out: list[str] = []
    block: list[str] = []
    code: list[str] | None = None  # lines of an open fenced block
    ends_in_prose = False
    for line in lines:
        if _FENCE.match(line):
            if code is None:
                code = []
            else:
                _code_block(code, out)
                code = None
            continue
        if code is not None:
            code.append(line)
            continue
        if _is_row(line):
            block.append(line)
            continue
        if block:
            out += table_sentences(block)
            block = []
        found = _prose(line)
        out += found
        ends_in_prose = bool(found) or (ends_in_prose and not line.strip())
    if block:
        out += table_sentences(block)
    elif cut and ends_in_prose and not lines[-1].rstrip().endswith((".", "!", "?")):
        out.pop()  # the snippet edge cut this one mid-sentence
    return out
