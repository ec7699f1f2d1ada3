"""``canonical_markdown``: the export's and the API renderer's forms of one block give one text."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ingestors.notion import NotionIngestor
from ingestors.notion_api import page_text
from ingestors.notion_blocks import BlockRenderer, plain, rich_text
from ingestors.notion_markdown import canonical_markdown
from ingestors.notion_mentions import absolute_mentions
from kb.config import settings_from_dict
from tests.conftest import NOTION_SAMPLE
from tests.ingestors.notion_sample import blk, date_mention, equation, sample_pages

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


# -- export/API pairs from the real shapes -----------------------------------------------------
# The API's forms are the Notion API reference's (developers.notion.com/reference/rich-text and
# /reference/block); export forms are the real sample's (/work/shared/samples/notion) where it has
# them, and marked "assumed" where it does not.
def page_of(blocks: dict[str, list[dict[str, object]]], title: list[dict[str, object]]) -> str:
    renderer = BlockRenderer(lambda b: blocks.get(b, []), lambda i: None)
    return page_text(plain(title) or "Untitled", renderer.page("page"))


@pytest.mark.parametrize(
    ("export", "items"),
    [
        # the real sample: database rows titled by a date mention ("# @February 5, 2025")
        ("@February 5, 2025", [date_mention("2025-02-05")]),
        ("Due @December 1, 2026", [rt("Due "), date_mention("2026-12-01")]),
        # assumed forms (not in the sample): a time as the HTML export's <time>, a range as a property's
        ("@February 1, 2022 7:07 PM", [date_mention("2022-02-01T19:07:00.000+00:00")]),
        (
            "@February 1, 2022 2:07 PM",
            [date_mention("2022-02-01T19:07:00.000+00:00", time_zone="America/New_York")],
        ),
        ("@April 23, 2024 → May 22, 2024", [date_mention("2024-04-23", "2024-05-22")]),
        # inline equations (assumed: $…$ as the exporter's $$ blocks)
        ("Energy is $E = mc^2$.", [rt("Energy is "), equation("E = mc^2"), rt(".")]),
    ],
)
def test_rich_text_mentions_and_equations_are_written_as_the_export(
    export: str, items: list[dict[str, object]]
) -> None:
    assert canonical_markdown(rich_text(items)) == canonical_markdown(export)
    assert plain(items) == export  # titles and property values too


@pytest.mark.parametrize(
    ("exported_on", "export", "absolute"),
    [
        # every relative form in the real sample (exported Wednesday 2025-08-06) and the absolute
        # date its database CSV gives the same row
        (date(2025, 8, 6), "@Today", "@August 6, 2025"),
        (date(2025, 8, 6), "@Yesterday", "@August 5, 2025"),
        (date(2025, 8, 6), "@Monday", "@August 4, 2025"),
        (date(2025, 8, 6), "@Last Sunday", "@August 3, 2025"),
        (date(2025, 8, 6), "@Last Wednesday", "@July 30, 2025"),
        (date(2025, 8, 6), "@Last Monday", "@July 28, 2025"),
        # assumed by symmetry
        (date(2025, 8, 6), "Ship @Tomorrow 9:00 AM", "Ship @August 7, 2025 9:00 AM"),
        (date(2025, 8, 6), "@Next Friday", "@August 15, 2025"),
        # no day known (an unpacked folder): left as it is; a plain word is never touched
        (None, "@Today", "@Today"),
        (date(2025, 8, 6), "Today, last Monday", "Today, last Monday"),
    ],
)
def test_relative_date_mentions_are_made_absolute_from_the_export_day(
    exported_on: date | None, export: str, absolute: str
) -> None:
    assert absolute_mentions(export, exported_on) == absolute


def test_an_image_caption_is_kept_as_text_and_the_image_dropped() -> None:
    # Assumed export form (no caption in the sample): the image line, then the caption paragraph.
    export = f"# Arch\n\n![diagram.png](Arch%20{HEX}/diagram.png)\n\nThe request path, **edge** to database"
    image = {
        "type": "file",
        "file": {"url": "https://files.example/diagram.png"},
        "caption": [rt("The request path, "), rt("edge", bold=True), rt(" to database")],
    }
    blocks = {"page": [{"id": "i", "type": "image", "has_children": False, "image": image}]}
    assert page_of(blocks, [rt("Arch")]) == canonical_markdown(export)
    no_caption = {
        "page": [{"id": "i", "type": "image", "has_children": False, "image": {**image, "caption": []}}]
    }
    assert page_of(no_caption, [rt("Arch")]) == "# Arch"


def test_a_toggleable_heading_is_its_heading_and_section() -> None:
    # How the exporter writes a toggleable heading is not known (none in the sample): the pull
    # writes the heading and its section, as the same content not toggleable.
    toggled = {
        "page": [blk("heading_2", rt("Steps"), bid="h", children=True, is_toggleable=True)],
        "h": [blk("paragraph", rt("Run it")), blk("bulleted_list_item", rt("then check"))],
    }
    flat = {
        "page": [
            blk("heading_2", rt("Steps")),
            blk("paragraph", rt("Run it")),
            blk("bulleted_list_item", rt("then check")),
        ]
    }
    assert (
        page_of(toggled, [rt("T")]) == page_of(flat, [rt("T")]) == "# T\n\n## Steps\n\nRun it\n\n- then check"
    )


def _sample_texts() -> dict[str, str]:
    if not NOTION_SAMPLE.exists():
        pytest.skip(f"real Notion sample missing at {NOTION_SAMPLE}")
    batch = NotionIngestor(settings_from_dict({})).read(NOTION_SAMPLE)
    return {d.doc_id.split(":", 1)[1]: d.text for d in batch.documents}


def test_pages_of_the_real_sample_export_and_their_api_blocks_give_one_text() -> None:
    exported = _sample_texts()
    pages = sample_pages()
    assert len(pages) == 11  # every page but the database rows, and three rows (by title)
    for hex_id, (title, blocks) in pages.items():
        assert page_of(blocks, title) == exported[hex_id], hex_id
