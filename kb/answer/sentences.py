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
- Reference-style links keep their text ("[Ruff][]", "[Splunk CIM][cim]" -> "Ruff", "Splunk
  CIM"), and link reference definitions ("[ruff]: https://...") are not sentences.
- A list keeps its context: a sentence that introduces a list ("Recommended tools are:") is
  quoted with its items ("... are: PagerDuty to page; Zendesk for tickets."), up to
  ``LIST_ITEMS`` items and ``LIST_CHARS`` characters; longer lists stay one item a sentence.
- Each sentence knows its block (paragraph, list, table), so the answerer can quote a sentence
  with the one that follows it in the same paragraph (``sentence_blocks``).
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
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")  # a line of a stored chunk: " - " is a dash there
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
# "[text][]", "[text][ref]" and a bare "[text]" (a shortcut reference): the text.
_REF_LINK = re.compile(r"\[([^\]\[]+)\](?:\[[^\]]*\])?(?![(:])")
# "[label]: https://..." lines: the targets of reference-style links.
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
LEAD_WORDS = 2  # "Recommended tools are:" introduces a list: kept while the list follows
LIST_ITEMS = 8  # a list this long is quoted with the sentence that introduces it
LIST_CHARS = 400
# A line ending in one of these words goes on in the next line: a heading or a finished line
# never ends with "or", "the", "to".
_OPEN_END = re.compile(
    r"\b(?:a|an|and|are|as|at|be|by|for|from|in|is|of|on|or|that|the|to|with)$", re.IGNORECASE
)
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
        out.append(_plain(text[last : m.start()]))
        out.append(m.group(2).strip())
        last = m.end()
    out.append(_plain(text[last:]))
    return " ".join("".join(out).split())


def _plain(text: str) -> str:
    """Prose outside code spans: reference links become their text, emphasis goes."""
    return _EMPHASIS.sub("", _REF_LINK.sub(r"\1", text))


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
    return len(prev) >= WRAPPED_LINE_CHARS or line[0].islower() or bool(_OPEN_END.search(prev))


def _logical_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    fenced = False
    for line in lines:
        if not fenced and out and _continues(out[-1], line):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
        fenced ^= bool(_FENCE.match(line))  # code lines are never joined
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


def _prose(line: str, folded: bool = True, min_words: int = MIN_WORDS) -> list[str]:
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
    for piece in (_SPLIT if folded else _SENTENCE_END).split(held):
        s = clean_inline(_LINE_PREFIX.sub("", piece)).strip(" -|")
        s = _HELD.sub(lambda m: spans[int(m.group(1))], s)
        words = len(s.split())
        if words >= min_words or (words >= LEAD_WORDS and s.endswith(":")):
            out.append(s if s[-1] in ".!?:" else s + ".")
    return out


def _code_block(lines: list[str], out: list[str]) -> None:
    """A short fenced block joins the sentence before it when that one introduces it (ends
    with ':'): "Install it with: pip install ruff." Longer blocks (configs, listings) are left out."""
    code = [c.strip() for c in lines if c.strip()]
    text = "; ".join(code)
    if out and out[-1].endswith(":") and code and len(code) <= FENCED_LINES and len(text) <= FENCED_CHARS:
        out[-1] = f"{out[-1]} {text}"


def _join_list(lead: str, items: list[str]) -> str | None:
    """A list's lead-in with its items ("Tools are: PagerDuty to page; Zendesk for tickets."),
    or None when the list is too long to quote whole."""
    parts = [i.rstrip(".;") for i in items]
    text = f"{lead} {'; '.join(parts)}."
    return text if len(parts) <= LIST_ITEMS and len(text) <= LIST_CHARS else None


def sentence_blocks(text: str) -> list[tuple[str, int]]:
    """The readable sentences of a chunk text or snippet, in order, each with the number of its
    block (a paragraph, a list with its lead-in, a table)."""
    cut = text.rstrip().endswith(ELLIPSIS)
    text = text.rstrip().removesuffix(ELLIPSIS) if cut else text
    folded = "\n" not in text.strip()  # a snippet: bullets run into the line
    lines = [part for line in text.replace(ELLIPSIS, " ").splitlines() for part in _unfold(line)]
    lines = _logical_lines(lines)
    out: list[tuple[str, int]] = []
    block = 0
    table: list[str] = []
    code: list[str] | None = None  # lines of an open fenced block
    items: list[str] | None = None  # items of the list introduced by out[-1]
    ends_in_prose = False

    def close_list() -> None:
        nonlocal items
        if out and out[-1][0].endswith(":") and len(out[-1][0].split()) < MIN_WORDS and not items:
            out.pop()  # a short lead-in ("For example:") says nothing without its list
        elif items:
            joined = _join_list(out[-1][0], items)
            if joined is not None:
                out[-1] = (joined, out[-1][1])
            else:
                out.extend((i, out[-1][1]) for i in items)
        items = None

    for line in lines:
        if _FENCE.match(line):
            if code is None:
                close_list()
                code = []
            else:
                texts = [t for t, _ in out[-1:]]
                _code_block(code, texts)
                if texts:
                    out[-1] = (texts[0], out[-1][1])
                code = None
            continue
        if code is not None:
            code.append(line)
            continue
        if _is_row(line):
            close_list()
            table.append(line)
            continue
        if table:
            block += 1
            out += [(t, block) for t in table_sentences(table)]
            table = []
        if not line.strip() or _REF_DEF.match(line):
            ends_in_prose = ends_in_prose and not line.strip()
            continue
        found = _prose(line, folded)
        item = not folded and bool(_LIST_ITEM.match(line))
        if item and items is None and out and out[-1][0].endswith(":"):
            items = []  # the sentence before introduces this list
        if item and items is not None:
            items += _prose(line, folded, min_words=1)
        else:
            close_list()
            if not item or not out or out[-1][0].endswith(":"):
                block += 1
            out += [(t, block) for t in found]
        ends_in_prose = bool(found)
    close_list()
    if table:
        out += [(t, block + 1) for t in table_sentences(table)]
    elif cut and ends_in_prose and out and not lines[-1].rstrip().endswith((".", "!", "?")):
        out.pop()  # the snippet edge cut this one mid-sentence
    return out


def split_sentences(text: str) -> list[str]:
    """The readable sentences of a chunk text or snippet, in order."""
    return [s for s, _ in sentence_blocks(text)]
