"""Golden loader: valid files load; every problem names its line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.golden import GoldenError, load_golden
from tests.conftest import ROOT


def _write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(GoldenError) as info:
        load_golden(path)
    assert info.value.subject == str(path)
    return info.value.problems


def test_loads_lists_graded_dicts_and_optional_fields(tmp_path):
    path = _write(
        tmp_path,
        {
            "qid": "b-1",
            "question": "How are invoices made?",
            "relevant": ["notion:0a1b", "gdrive:1AbC"],
            "stale": ["notion:9f8e"],
            "must_contain": ["Stripe"],
            "must_not_contain": ["Perl invoicer"],
            "slice": "superseded",
            "user": "alice@example.com",
        },
        "",
        {"qid": "b-2", "question": "Graded?", "relevant": {"notion:aa": 3, "gdrive:bb": 1}},
        {"qid": "none-1", "question": "Parking on Mars?", "relevant": []},
    )
    qs = load_golden(path)
    assert [q.qid for q in qs] == ["b-1", "b-2", "none-1"]
    assert qs[0].relevant == {"notion:0a1b": 1, "gdrive:1AbC": 1}
    assert qs[0].line == 1 and qs[1].line == 3
    assert qs[1].relevant == {"notion:aa": 3, "gdrive:bb": 1}
    assert qs[2].relevant == {} and qs[2].slice is None


def test_bad_json_names_the_line(tmp_path):
    path = _write(tmp_path, {"qid": "a", "question": "q", "relevant": []}, "{not json")
    assert _problems(path) == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes at column 2)"
    ]


def test_missing_and_unknown_fields_are_named(tmp_path):
    path = _write(
        tmp_path,
        {"qid": "a", "question": "q"},
        {"qid": "b", "question": "q", "relevant": [], "relevent": ["notion:x"]},
    )
    problems = _problems(path)
    assert "line 1: relevant: Field required" in problems
    assert "line 2: relevent: unknown field" in problems


def test_chunk_ids_and_bad_grades_are_rejected(tmp_path):
    path = _write(
        tmp_path,
        {"qid": "a", "question": "q", "relevant": ["notion:abc#2"]},
        {"qid": "b", "question": "q", "relevant": {"notion:abc": 5}},
        {"qid": "c", "question": "q", "relevant": ["abc"]},
        {"qid": "d", "question": "q", "relevant": [], "stale": ["gdrive:x#0"]},
    )
    problems = _problems(path)
    assert len(problems) == 4
    assert problems[0].startswith("line 1: relevant: 'notion:abc#2' is a chunk id")
    assert problems[1].startswith("line 2: relevant: grade of 'notion:abc' must be an integer 1-3")
    assert problems[2].startswith("line 3: relevant: 'abc' is not a document id")
    assert problems[3].startswith("line 4: stale: 'gdrive:x#0' is a chunk id")


def test_duplicate_qid_and_relevant_stale_overlap(tmp_path):
    path = _write(
        tmp_path,
        {"qid": "a", "question": "q", "relevant": ["notion:x"], "stale": ["notion:x"]},
        {"qid": "b", "question": "q", "relevant": []},
        {"qid": "b", "question": "again", "relevant": []},
    )
    assert _problems(path) == [
        "line 1: stale: notion:x also listed as relevant",
        "line 3: qid: 'b' already used on line 2",
    ]


def test_blank_question_and_empty_check_string(tmp_path):
    path = _write(tmp_path, {"qid": "a", "question": "  ", "relevant": [], "must_contain": [""]})
    problems = _problems(path)
    assert "line 1: question: must not be blank" in problems
    assert any(p.startswith("line 1: must_contain: strings must not be empty") for p in problems)


def test_non_object_line_and_empty_file(tmp_path):
    assert _problems(_write(tmp_path, "[1, 2]")) == ["line 1: expected a JSON object, got list"]
    assert _problems(_write(tmp_path, "")) == ["no questions in file"]


def test_missing_file_is_a_golden_error(tmp_path):
    with pytest.raises(GoldenError) as info:
        load_golden(tmp_path / "nope.jsonl")
    assert "cannot read file" in str(info.value)


def test_example_golden_set_is_valid():
    path = ROOT / "evals" / "golden" / "example.jsonl"
    if not path.exists():
        pytest.skip("evals/golden/example.jsonl not written yet")
    questions = load_golden(path)
    assert len(questions) >= 10
