"""Golden question sets: load a JSONL file and validate every line.

One JSON object per line::

    {"qid": "billing-1", "question": "How are invoices generated now?",
     "relevant": ["notion:0a1b…", "gdrive:1AbC…"]        # or {"notion:0a1b…": 3, ...} grades 1-3
     "stale": ["notion:9f8e…"],                          # optional: must not outrank a relevant doc
     "must_contain": ["Stripe"], "must_not_contain": ["Perl invoicer"],   # optional, on /ask
     "slice": "superseded", "user": "alice@example.com"}                  # optional

``relevant`` is required; ``[]`` marks a question with no answer in the corpus (the no-answer
slice). A list gives every document grade 1. Labels are stable document ids
(``notion:<id>`` / ``gdrive:<id>``), never chunk ids (``<doc_id>#<n>``). Blank lines and lines
starting with ``#`` are skipped. Every problem is reported at once, each naming its line number
and field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb.errors import KBError

_DOC_ID = re.compile(r"^(notion|gdrive):[^\s#]+$")


class GoldenError(KBError):
    """A golden file that cannot be used; ``problems`` lists each 'line N: field: why'."""

    def __init__(self, problems: list[str], *, subject: str) -> None:
        shown = "; ".join(problems[:20]) + (f"; … {len(problems) - 20} more" if len(problems) > 20 else "")
        super().__init__(f"invalid golden set: {shown}", subject=subject)
        self.problems = problems


def _check_doc_id(value: str) -> str:
    if "#" in value:
        raise ValueError(f"'{value}' is a chunk id; label documents (drop '#…')")
    if not _DOC_ID.match(value):
        raise ValueError(f"'{value}' is not a document id (notion:<id> or gdrive:<id>)")
    return value


class GoldenQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    qid: str = Field(min_length=1, description="Unique id of the question")
    question: str = Field(min_length=1, description="The question as a user would ask it")
    relevant: dict[str, int] = Field(description="doc id -> grade 1-3 (a list means grade 1)")
    stale: list[str] = Field(
        default_factory=list, description="Outdated documents that must not outrank a relevant one"
    )
    must_contain: list[str] = Field(
        default_factory=list, description="Strings the /ask answer must contain (case-insensitive)"
    )
    must_not_contain: list[str] = Field(
        default_factory=list, description="Strings the answer must not contain"
    )
    slice: str | None = Field(None, description="Group the question is reported under")
    user: str | None = Field(None, description="Principal the question is asked as")
    line: int = Field(0, description="Line in the golden file (set by the loader)")

    @field_validator("relevant", mode="before")
    @classmethod
    def _grades(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValueError("a list of relevant documents must hold doc id strings")
            return dict.fromkeys(value, 1)
        if isinstance(value, dict):
            for doc_id, grade in value.items():
                if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 3:
                    raise ValueError(f"grade of '{doc_id}' must be an integer 1-3, got {grade!r}")
        return value

    @field_validator("relevant")
    @classmethod
    def _relevant_ids(cls, value: dict[str, int]) -> dict[str, int]:
        for doc_id in value:
            _check_doc_id(doc_id)
        return value

    @field_validator("stale")
    @classmethod
    def _stale_ids(cls, value: list[str]) -> list[str]:
        for doc_id in value:
            _check_doc_id(doc_id)
        return value

    @field_validator("qid", "question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("must_contain", "must_not_contain")
    @classmethod
    def _no_empty_strings(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("strings must not be empty (an empty string matches every answer)")
        return value


def _field_errors(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        field = str(e["loc"][0]) if e["loc"] else "(line)"
        msg = "unknown field" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
        out.append((field, msg))
    return out


def parse_line(text: str, line: int) -> tuple[GoldenQuestion | None, list[str]]:
    """One question from one JSONL line, or the problems with it ('line N: field: why')."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return None, [f"line {line}: not valid JSON ({err.msg} at column {err.colno})"]
    if not isinstance(data, dict):
        return None, [f"line {line}: expected a JSON object, got {type(data).__name__}"]
    if "line" in data:
        return None, [f"line {line}: line: unknown field"]
    try:
        q = GoldenQuestion.model_validate({**data, "line": line})
    except ValidationError as err:
        return None, [f"line {line}: {field}: {msg}" for field, msg in _field_errors(err)]
    overlap = sorted(set(q.relevant).intersection(q.stale))
    if overlap:
        return None, [f"line {line}: stale: {', '.join(overlap)} also listed as relevant"]
    return q, []


def load_golden(path: Path | str) -> list[GoldenQuestion]:
    """All questions of a golden JSONL file; raises ``GoldenError`` listing every problem."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise GoldenError([f"cannot read file: {err}"], subject=str(file)) from err
    questions: list[GoldenQuestion] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        q, errs = parse_line(text, number)
        problems.extend(errs)
        if q is None:
            continue
        if q.qid in first_line:
            problems.append(f"line {number}: qid: '{q.qid}' already used on line {first_line[q.qid]}")
            continue
        first_line[q.qid] = number
        questions.append(q)
    if not questions and not problems:
        problems.append("no questions in file")
    if problems:
        raise GoldenError(problems, subject=str(file))
    return questions
