"""Sentence splitting keeps code whole: cron strings, commands and identifiers in code spans are
never cut at their asterisks or dots, and a short fenced command joins its lead-in sentence."""

from __future__ import annotations

from kb.answer.sentences import split_sentences


def test_a_cron_string_in_a_code_span_stays_whole() -> None:
    got = split_sentences("The backup job runs at `30 1 * * *` every night. Then it uploads the dump.")
    assert got == ["The backup job runs at 30 1 * * * every night.", "Then it uploads the dump."]


def test_code_spans_in_list_items_keep_dots_and_asterisks() -> None:
    got = split_sentences(
        "- Rotate keys with `vault write -f db/rotate`. Tell the whole team.\n"
        "- Schedule: `0 2 * * *` for the nightly run"
    )
    assert got == [
        "Rotate keys with vault write -f db/rotate.",
        "Tell the whole team.",
        "Schedule: 0 2 * * * for the nightly run.",
    ]


def test_identifiers_and_versions_survive() -> None:
    got = split_sentences(
        "Call `uv venv -p python3.13` from the project root, then set `tenant_id` in `app.config.py`."
    )
    assert got == ["Call uv venv -p python3.13 from the project root, then set tenant_id in app.config.py."]


def test_a_short_fenced_command_joins_its_lead_in() -> None:
    got = split_sentences("Install the linter with:\n```\npip install ruff\n```\nThen run it on every file.")
    assert got == ["Install the linter with: pip install ruff", "Then run it on every file."]


def test_a_long_fenced_block_is_left_out() -> None:
    text = (
        'Use this example config:\n```json\n{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}\n```\n'
        "Then restart the service now."
    )
    assert split_sentences(text) == ["Use this example config:", "Then restart the service now."]
