"""Sentence splitting keeps code whole: cron strings, commands and identifiers in code spans are
never cut at their asterisks or dots, and a short fenced command joins its lead-in sentence."""

from __future__ import annotations

from kb.answer.sentences import sentence_blocks, split_sentences


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


def test_reference_links_keep_their_text_and_their_definitions_go() -> None:
    text = (
        "This manual advises the use of [Ruff][] as the linter. Align logs to the [Splunk CIM][cim].\n\n"
        "[Ruff]: https://docs.astral.sh/ruff/\n[cim]: https://docs.splunk.com/CIM\n"
    )
    assert split_sentences(text) == [
        "This manual advises the use of Ruff as the linter.",
        "Align logs to the Splunk CIM.",
    ]
    # Inside a code span brackets are code.
    assert split_sentences("Read the first item with `items[0]` in Python.") == [
        "Read the first item with items[0] in Python."
    ]


def test_a_list_is_quoted_with_the_sentence_that_introduces_it() -> None:
    text = (
        "Recommended tools are:\n\n- [PagerDuty][] to send interrupting alerts\n"
        "- Zendesk for tickets\n\nYou can also use email."
    )
    assert split_sentences(text) == [
        "Recommended tools are: PagerDuty to send interrupting alerts; Zendesk for tickets.",
        "You can also use email.",
    ]
    # A short lead-in with no list after it is a fragment, and a list too long to quote whole
    # stays one item a sentence.
    assert split_sentences("For example:\n\nNothing follows here today.") == ["Nothing follows here today."]
    long = "Steps are:\n" + "".join(f"- step number {i} of the long procedure\n" for i in range(12))
    assert len(split_sentences(long)) == 13


def test_a_line_ending_in_an_open_word_goes_on() -> None:
    text = "Tini is included by default with the Docker runtime or\nAlpine Linux images."
    assert split_sentences(text) == [
        "Tini is included by default with the Docker runtime or Alpine Linux images."
    ]


def test_a_dash_inside_a_stored_line_is_not_a_bullet() -> None:
    text = "The Web CIM is used at GDS - it specifies field names, for example.\nNext line here now."
    assert split_sentences(text)[0] == "The Web CIM is used at GDS - it specifies field names, for example."


def test_sentences_know_their_paragraph() -> None:
    text = "First one is here. Second one follows it.\n\nA new paragraph starts here."
    assert [b for _, b in sentence_blocks(text)] == [1, 1, 2]
