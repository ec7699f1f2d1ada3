"""``canonical_markdown``: the export's and the API renderer's forms of one block give one text."""

from __future__ import annotations

import re

import pytest

from ingestors.notion_blocks import BlockRenderer, rich_text
from ingestors.notion_markdown import canonical_markdown

HEX = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("export", "api"),
    [
        # callouts: <aside> (with an emoji or an <img> icon) and the renderer's quote lines
        ("<aside>\n💡 Use the staging cluster\n\n</aside>", "> 💡 Use the staging cluster"),
        ('<aside>\n<img src="x.png" alt="x" width="40px" /> Note\n</aside>', "> Note"),
        ("<aside>💡 One line</aside>", "> 💡 One line"),
        # toggles: <details> and the renderer's list item with indented children
        ("<details>\n<summary>Steps</summary>\n\nRun it\n\n</details>", "- Steps\n    Run it"),
        ("- Steps\n    \n    Run it\n    ", "- Steps\n    Run it\n"),
        # to-dos with the export's two spaces; table separators
        ("- [x]  Done\n- [ ]  ", "- [x] Done\n- [ ] "),
        ("| a | b |\n|---|:---|\n| 1 | 2 |", "| a | b |\n| --- | --- |\n| 1 | 2 |"),
        # links between pages (files, notion.so URLs, the API's ids) keep their text; images go
        (f"See [Guide](Docs%20{HEX}/Guide%20{HEX}.md).", f"See [Guide](notion:{HEX})."),
        (f"[Out](https://www.notion.so/Out-{HEX}?pvs=21)", f"[Out](/{HEX})"),
        (f"[Wiki](Eng%20{HEX}/Wiki%20{HEX}.csv)\n\n![Untitled](Eng%20{HEX}/Untitled.png)", "Wiki"),
        # blank lines around nested children, runs of blank lines, trailing spaces, a final newline
        ("- a\n    \n    child\n    \n- b", "- a\n    child\n\n- b\n"),
        ("One  \n\n\n\nTwo", "One\n\nTwo\n"),
    ],
)
def test_both_renderings_of_a_block_give_one_text(export: str, api: str) -> None:
    assert canonical_markdown(export) == canonical_markdown(api)


def test_web_links_code_and_words_are_kept() -> None:
    text = (
        "Read the [style guide](https://example.com/style) and *this*.\n\n"
        "```python\nx = '[a](b.md)'\n\n\ny = 1  \n```"
    )
    assert canonical_markdown(text) == text.replace("y = 1  ", "y = 1")


@pytest.mark.parametrize(
    "text",
    [
        "# T\n\n<aside>\n💡 a\n\n</aside>\n\n- [ ]  b\n    \n    c\n    \n| x |\n|---|",
        f"[A](A%20{HEX}.md)\n\n<details>\n<summary>S</summary>\n\n<aside>\n⚠️ n\n</aside>\n\n</details>",
    ],
)
def test_canonical_form_is_a_fixed_point_and_loses_no_words(text: str) -> None:
    once = canonical_markdown(text)
    assert canonical_markdown(once) == once
    words = set(re.findall(r"[A-Za-z]{2,}", once))
    assert {"aside", "details", "summary"}.isdisjoint(words)
    plain = re.sub(r"\]\([^)]*\)|</?\w+>", " ", text)  # link targets and tags are not words
    assert set(re.findall(r"[A-Za-z]{2,}", plain)) - {"aside", "details", "summary"} == words


def test_a_real_edit_changes_the_text() -> None:
    before = canonical_markdown("# Deploy\n\n- [ ]  Run the canary\n- [ ]  Ship")
    assert canonical_markdown("# Deploy\n\n- [ ] Run the canary\n- [ ] Ship it") != before
    assert canonical_markdown("# Deploy\n\n- [x]  Run the canary\n- [ ]  Ship") != before


def rt(text: str, **notes: bool) -> dict[str, object]:
    return {"type": "text", "plain_text": text, "annotations": notes, "href": None}


def test_rich_text_is_written_as_the_exporter_writes_it() -> None:
    items = [
        rt("We ship "),
        rt("daily ", bold=True),
        rt("and ", bold=True),
        rt("often", italic=True),
        rt("."),
    ]
    assert rich_text(items) == "We ship **daily and** *often*."
    assert rich_text([rt("x", bold=True, italic=True, code=True)]) == "***`x`***"


def test_equations_code_and_files_render_like_the_export() -> None:
    blocks = {
        "page": [
            {"id": "e", "type": "equation", "equation": {"expression": "E = mc^2"}},
            {"id": "c", "type": "code", "code": {"language": "plain text", "rich_text": [rt("make")]}},
            {"id": "f", "type": "file", "file": {"name": "runbook.pdf", "caption": []}},
            {"id": "l", "type": "link_to_page", "link_to_page": {"type": "page_id", "page_id": HEX}},
        ]
    }
    renderer = BlockRenderer(lambda b: blocks.get(b, []), lambda i: "Guide" if i == HEX else None)
    assert renderer.page("page") == "$$\nE = mc^2\n$$\n\n```\nmake\n```\n\nrunbook.pdf\n\nGuide\n"
    assert renderer.links == [f"notion:{HEX}"]
